"""The interactive chat: the prompt, slash-commands, and turns."""
