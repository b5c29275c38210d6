"""Montu Desktop's benchmarks: availability and booking against the floor and a peer (`bench/run`)."""
