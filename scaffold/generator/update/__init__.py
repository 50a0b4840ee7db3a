"""`lambda-scaffold update`: copier's 3-way merge on a scratch clone, applied in one undoable step.

:mod:`.run` checks the project and reports; :mod:`.scratch` runs copier on a clone; :mod:`.apply`
puts the result into the project; :mod:`.guard` holds signals and undoes a cut-short apply.
"""
