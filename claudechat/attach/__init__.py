"""Bringing the user's files into a message."""

from claudechat.attach.tree import TreeEntry, find_work_tree, walk_tree

__all__ = ["TreeEntry", "find_work_tree", "walk_tree"]
