"""Shell completion: `claudechat completion bash|zsh|fish` and the words it asks for at Tab time."""
