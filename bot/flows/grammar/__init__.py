"""The /breach grammar: tokens, task words and one parser per subcommand (text to a command object)."""
