"""Everything that draws on the terminal: themes, Markdown, the reasoning panel."""
