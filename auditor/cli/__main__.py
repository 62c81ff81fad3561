"""python -m auditor.cli"""
from voxaudit.cli import main

main()
