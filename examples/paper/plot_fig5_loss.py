"""
Figure 5: the training loss
===========================

The paper's figure 5 shows the error E (the mean squared difference between network output
and database value, relative to the norm of the outputs) over the Adam epochs of one training
run: almost always decreasing, with a quasi-plateau between epochs 400 and 900. Here: the loss
curve stored with the pretrained surrogate of the paper's recipe,
:meth:`crt.Surrogate.pretrained("paper") <crtransport.surrogate.Surrogate.pretrained>`,
trained on 90 % of the reference database
(:func:`crt.datasets.paper <crtransport.datasets.paper>`). The training loss is E divided by
the mean squared training target (a model fitted with validation data also has a test-loss
curve, which :func:`~crtransport.surrogate.plot_loss` draws too).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt

import crtransport as crt
from crtransport.surrogate import plot_loss

sur = crt.Surrogate.pretrained("paper")
history = sur.history
print(sur)
print(history.optimizer)

fig, ax = plt.subplots(figsize=(6, 4))
plot_loss(sur, ax=ax)
ax.set_title(f"{history.n_epochs_run} epochs of Adam on {history.n_train} training rows")
fig.tight_layout()

# %%
# Run as a script with ``CRTRANSPORT_FIGURES_DIR`` set (as ``nox -s figures`` does), the
# example saves the figure there.
if folder := os.environ.get("CRTRANSPORT_FIGURES_DIR"):
    fig.savefig(Path(folder) / "fig5_loss.png", dpi=120)
