"""`python -m clearwater_sg.live adopt|drift ...`."""

from clearwater_sg.live.cli import main

main()
