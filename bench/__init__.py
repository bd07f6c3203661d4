"""Benchmarks: each prints one summary line and writes JSON under bench/results/."""
