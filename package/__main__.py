"""The package's plugin: serves `clearwater_sg.package.ClearwaterSecurityGroups`."""

from clearwater_sg.package import main

main()
