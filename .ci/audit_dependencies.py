"""Run pip-audit against the installed environment and say plainly what it could check.

pip-audit prints "No known vulnerabilities found" and exits 0 even when the advisory service
could not be reached and every package was skipped. This wrapper reads its JSON report:

* a known vulnerability in an installed package: list it, exit 1 (CI fails);
* packages the service could not answer for (unreachable, or a registry mirror that has no
  advisory API): say that they were NOT checked, list how many, exit 0 without claiming
  anything about them;
* the service not reachable at all, or pip-audit missing: say so, exit 0.

Usage: python .ci/audit_dependencies.py PIP_AUDIT_EXECUTABLE PYTHON_OF_THE_ENVIRONMENT
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def main(pip_audit: str, python: str) -> int:
    if not os.path.exists(pip_audit):
        print("pip-audit is not installed (the package registry was not reachable): "
              "dependencies were NOT checked for known vulnerabilities.")
        return 0
    env = dict(os.environ, PIPAPI_PYTHON_LOCATION=python)
    try:
        run = subprocess.run([pip_audit, "--progress-spinner", "off", "--format", "json", "--skip-editable"],
                             env=env, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        print("pip-audit: the advisory service did not answer within 10 minutes: dependencies were NOT checked.")
        return 0
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        reason = (run.stderr.strip().splitlines() or ["no output"])[-1][:300]
        print(f"pip-audit: the advisory service could not be reached ({reason}): "
              "dependencies were NOT checked for known vulnerabilities.")
        return 0
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if "skip_reason" in d]
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"VULNERABLE {dependency['name']} {dependency.get('version')}: {vuln.get('id')} (fixed in {fixed})")
    if skipped:
        print(f"pip-audit: {len(skipped)} of {len(dependencies)} installed packages could NOT be checked "
              f"(the advisory service did not answer for them, e.g. {skipped[0]['skip_reason']!r}); "
              "nothing is claimed about them.")
    if audited and not vulnerable:
        print(f"pip-audit: no known vulnerabilities in the {len(audited)} packages it could check.")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
