"""Platform-neutral messages built from state: the status, topic and lists of an incident, and the questions. Imports statements/ and below."""
