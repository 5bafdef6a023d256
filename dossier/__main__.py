from dossier.cli import run

run()
