"""One flow per command family, the alert flows, and the command registry's grammar; typed against port.Bot, never bot/app.py. Imports every domain folder."""
