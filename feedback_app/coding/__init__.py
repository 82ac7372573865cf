"""Coding answers by analysts and the sentiment models learned from that coding (issue 14)."""
