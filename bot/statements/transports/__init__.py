"""The ways a notice leaves the firm: SMTP e-mail, an SMS provider, and the mailbox bounces come back to.

None of them is a chat platform; each is built from settings by `build`, and a drill gets none.
"""
