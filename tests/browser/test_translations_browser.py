"""The children's form in Polish, Arabic and easy read: right lang and dir, and axe finds nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

SHOTS = Path("/tmp/shots-issue-15")


@pytest.mark.parametrize("lang, html_lang, direction, start, question", [
    ("pl", "pl", "ltr", "Zacznij", "Co zrobili dorośli, żeby pomóc Ci czuć się bezpiecznie i mieć dobrą opiekę?"),
    ("ar", "ar", "rtl", "ابدأ", "ماذا فعل الكبار مما ساعدك على الشعور بالأمان وبأنك تحظى بالرعاية؟"),
    ("easy-read", "en", "ltr", "Start", "What did grown-ups do that helped you feel safe?"),
])
@pytest.mark.parametrize("width", [1280, 360])
def test_the_childrens_form_in_another_language(browser, live_server, make_round, make_link, axe,
                                                lang, html_lang, direction, start, question, width):
    link = make_link(make_round("children", 4))
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width == 360)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server(f"/r/{link.token}"))
        page.get_by_role("navigation").get_by_role("link", name={"pl": "Polski", "ar": "العربية",
                                                                 "easy-read": "Easy read"}[lang]).click()
        page.wait_for_load_state()
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [html_lang, direction]
        axe(page, f"the children's intro page ({lang}, {width}px)")
        page.get_by_role("link", name=start).click()
        page.wait_for_url("**/questions?lang=*")
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [html_lang, direction]
        page.get_by_label(question).fill("—")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        axe(page, f"the children's questions ({lang}, {width}px)")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"children-{lang}-{width}.png"), full_page=True)
    finally:
        context.close()
