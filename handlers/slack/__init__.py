"""The Slack platform: Bolt listeners that build neutral commands, and a Chat that speaks Block Kit.

Nothing here runs at import time; `build_slack_app` wires everything when asked.
"""
