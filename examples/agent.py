"""An example sales agent governed by Proctor through the SDK (SPEC §9).

Run a server (`proctor init demo && PROCTOR_HOME=demo proctor serve`), create an agent key
(`proctor agents create sdr-bot` then `proctor agents key AGENT_ID`), then:

    PROCTOR_URL=http://127.0.0.1:8700 PROCTOR_AGENT_KEY=pa_… python examples/agent.py

Low-risk steps run at once; the email waits for a human (`proctor approvals list`, then
`proctor approvals approve ID --as manager@acme.io`), and a rejection comes back with its reason.
"""

from __future__ import annotations

import os
import sys

from proctor import ActionDenied, ApprovalPending, Client, governed
from proctor.integrations.sdk import ActionRejected

client = Client(
    os.environ.get("PROCTOR_URL", "http://127.0.0.1:8700"), api_key=os.environ["PROCTOR_AGENT_KEY"]
)
RUN = "run_example_1"


@governed("note.create", client=client, run_id=RUN, intent="Log the research")
def log_note(record_id: str, body: str) -> str:
    """Write a CRM note (allowed at once under the starter policy)."""
    return f"noted on {record_id}: {body}"


@governed("email.send", client=client, wait=True, timeout=600, run_id=RUN, intent="Book a discovery call")
def send_email(to: str, subject: str, body: str, touch: str = "first", **headers: str) -> str:
    """Send the first-touch email once a human approved it (with any edits the approver made)."""
    return f"sent {subject!r} to {to}"


def main() -> int:
    """Research, log, ask to send; print what happened."""
    page = "Globex is hiring SDRs in Berlin."
    verdict = client.scan(page, run_id=RUN, source="https://globex.example/careers")
    print("firewall:", verdict["verdict"])
    print(log_note("acc_042", "Globex is hiring SDRs in Berlin"))
    try:
        print(
            send_email(
                to="dana@globex.com",
                subject="Scaling Globex's SDR team",
                body="Hi Dana, congratulations on the Berlin office. Open to a short call?",
                **{"from": "maria@acme.io"},
            )
        )
    except ActionDenied as exc:
        print("denied:", "; ".join(exc.reasons))
    except ActionRejected as exc:
        print("rejected:", exc.reason)
    except ApprovalPending as exc:
        print("still waiting for approval of", exc.action_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
