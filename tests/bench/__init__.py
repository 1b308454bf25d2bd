"""Benchmarks: each compares claudechat against a baseline measured in the same run."""
