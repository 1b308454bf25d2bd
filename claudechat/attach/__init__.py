"""Bringing the user's files into a message."""

from claudechat.attach.blocks import fence_for, file_block, language_for
from claudechat.attach.budget import Budget, default_estimator, estimate_tokens
from claudechat.attach.gather import MAX_FOLDER_FILES, Gathered, Plan, TooManyFiles, plan
from claudechat.attach.mentions import Mention, find_mentions
from claudechat.attach.reading import MAX_TEXT_BYTES
from claudechat.attach.tree import TreeEntry, find_work_tree, walk_tree

__all__ = [
    "MAX_FOLDER_FILES",
    "MAX_TEXT_BYTES",
    "Budget",
    "Gathered",
    "Mention",
    "Plan",
    "TooManyFiles",
    "TreeEntry",
    "default_estimator",
    "estimate_tokens",
    "fence_for",
    "file_block",
    "find_mentions",
    "find_work_tree",
    "language_for",
    "plan",
    "walk_tree",
]
