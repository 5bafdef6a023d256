from dossier.warm import run

run()
