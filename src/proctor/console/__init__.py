"""The web console: review-before-send, batch approvals, run timelines, audit and rollback for people."""
