"""`python -m clearwater_sg.live adopt|drift|prune ...`."""

from clearwater_sg.live.cli import main

main()
