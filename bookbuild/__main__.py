from bookbuild.cli import run

run()
