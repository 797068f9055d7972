"""``make evaluate``'s pieces: the runs and their tables (:mod:`.runs`), diagnostics of the
learned optimiser (:mod:`.diagnostics`) and figures (:mod:`.figures`); ``experiments.evaluate``
is the command that puts them into ``results/evaluation.md``."""
