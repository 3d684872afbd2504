"""The estimator :class:`Surrogate`: settings plus a fitted state, composing pure functions
(``_fit.fit_state``, ``_predict.predict``, ``_evaluate.evaluate_state``, ``_io``)."""

from __future__ import annotations

import dataclasses
import importlib.resources
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numpy.typing import ArrayLike

from crtransport import datasets
from crtransport._validation import check_choice
from crtransport.surrogate._config import SurrogateConfig
from crtransport.surrogate._evaluate import SurrogateEvaluation, evaluate_state
from crtransport.surrogate._fit import fit_state
from crtransport.surrogate._forward import Networks
from crtransport.surrogate._io import load_state, save_state
from crtransport.surrogate._predict import ON_EXTRAPOLATE, OnExtrapolate, predict
from crtransport.surrogate._prior import prior_text
from crtransport.surrogate._state import SurrogateState, TrainingHistory

if TYPE_CHECKING:  # pragma: no cover
    import jax
    import optax

__all__ = ["Surrogate", "SurrogateEvaluation"]


class Surrogate:
    r"""Neural-network surrogate for a transport coefficient (default: the paper's D_perp).

    A feed-forward network (default 3-10-5-1, tanh hidden layers, :math:`z^2` output; Palade
    2023, section II C) from named inputs (default ``T``, ``b``, ``lambda_perp``) to one
    target (default ``D_perp``). Input and output scaling are part of the model. The network
    computes in float32 (see Notes).

    Parameters
    ----------
    config : crtransport.surrogate.SurrogateConfig, optional
        Architecture and training settings; default ``SurrogateConfig()`` (the paper's).
    optimizer : optax.GradientTransformation, optional
        Any optax optimizer; default the paper's Adam,
        ``optax.adam(1e-3, b1=0.9, b2=0.95, eps=1e-7)`` built from the configuration.
    on_extrapolate : {'warn', 'raise', 'ignore'}, default: 'warn'
        What :meth:`predict` does with inputs outside the training domain.
    **settings
        Fields of :class:`~crtransport.surrogate.SurrogateConfig` (e.g.
        ``hidden_widths=(32, 32)``), applied on top of ``config``.

    Raises
    ------
    ValueError
        If a setting is invalid (see :class:`~crtransport.surrogate.SurrogateConfig`) or
        ``on_extrapolate`` is unknown.
    TypeError
        If ``optimizer`` is not an optax ``GradientTransformation``.

    Notes
    -----
    The forward pass is

    .. math::

        \hat x_k = (t_k(x_k) - o_k) / s_k, \quad h^{(0)} = \hat x, \quad
        h^{(i)} = f(W^{(i)} h^{(i-1)} + \beta^{(i)}), \quad
        D = \Big(\prod_k x_k^{p_k}\Big) \, s_y \, g(W^{(L)} h^{(L-1)} + \beta^{(L)}),

    with :math:`p_k` the exponents of ``output_powers`` (none by default: the factor is 1),
    :math:`t_k` the identity (or ``log`` for ``log_features``), :math:`o, s` the
    affine map of the training inputs onto [-1, 1], :math:`f` the hidden activation,
    :math:`g` the output activation (:math:`z^2`), and :math:`s_y` the RMS of the
    training targets (divided by the prior). Ensembles average :math:`D` over members.

    Precision policy (one for every call): the parameters are float32, and a prediction is
    accurate to float32 round-off, a few 1e-6 of the output scale (:math:`s_y` times the
    prior), far below the surrogate's own accuracy. Single points and small batches run the
    network in float64 with NumPy (no dispatch cost; up to a size where JAX's per-call cost
    is repaid: about 8000 points for the paper's network, 2500 for the default one, at least
    64); larger ones run it in float32 with JAX, in chunks of one fixed shape, so a new batch
    size never compiles again. A result thus depends on how inputs are split into calls only
    by that round-off; inputs far outside the domain (``T = 1e300`` with
    ``on_extrapolate='ignore'``) are mapped onto the network's scale in float64 first and
    give the same value on every path. ``jax_enable_x64`` is never changed.

    References
    ----------
    D. I. Palade, "Predicting the turbulent transport of cosmic rays via neural networks"
    (2023).

    Examples
    --------
    >>> import numpy as np
    >>> import crtransport as crt
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform([0.1, 0.1, 0.2], [10.0, 1.0, 20.0], size=(200, 3))
    >>> y = X[:, 1] ** 2 * X[:, 2] ** 0.5
    >>> sur = crt.Surrogate(hidden_widths=(8,)).fit(X, y, epochs=300, key=0)
    >>> sur.history.n_epochs_run
    300
    >>> float(sur.predict(T=1.0, b=0.5, lambda_perp=4.0)) > 0
    True
    """

    def __init__(
        self,
        config: SurrogateConfig | None = None,
        *,
        optimizer: optax.GradientTransformation | None = None,
        on_extrapolate: OnExtrapolate = "warn",
        **settings: Any,
    ) -> None:
        if config is None:
            config = SurrogateConfig(**settings)
        elif not isinstance(config, SurrogateConfig):
            raise TypeError(f"`config` must be a SurrogateConfig; got {type(config).__name__}.")
        elif settings:
            config = dataclasses.replace(config, **settings)
        if optimizer is not None and not (
            callable(getattr(optimizer, "init", None))
            and callable(getattr(optimizer, "update", None))
        ):
            raise TypeError(
                "`optimizer` must be an optax.GradientTransformation (with init and update); "
                f"got {type(optimizer).__name__}."
            )
        self._config = config
        self._optimizer = optimizer
        self._on_extrapolate = check_choice("on_extrapolate", on_extrapolate, ON_EXTRAPOLATE)
        self._nets: Networks | None = None

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_state(
        cls, state: SurrogateState, *, on_extrapolate: OnExtrapolate = "warn"
    ) -> Surrogate:
        """Wrap a fitted :class:`~crtransport.surrogate.SurrogateState` in an estimator."""
        if not isinstance(state, SurrogateState):
            raise TypeError(f"`state` must be a SurrogateState; got {type(state).__name__}.")
        sur = cls(state.config, on_extrapolate=on_extrapolate)
        sur._nets = Networks(state)
        return sur

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, on_extrapolate: OnExtrapolate = "warn"
    ) -> Surrogate:
        """Read a model written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            The file.
        on_extrapolate : {'warn', 'raise', 'ignore'}, default: 'warn'
            See :class:`Surrogate`.

        Returns
        -------
        Surrogate
            A fitted estimator, bit-for-bit the one saved.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is not a crtransport surrogate file (foreign, truncated or corrupted
            archive; missing, extra or mis-shaped arrays; wrong dtypes; non-finite weights;
            unsupported format version).

        Notes
        -----
        No pickle is involved (``np.load(..., allow_pickle=False)``); every array's shape and
        dtype is checked against the architecture in the metadata.
        """
        return cls.from_state(load_state(path), on_extrapolate=on_extrapolate)

    @classmethod
    def pretrained(
        cls, name: str | None = None, *, on_extrapolate: OnExtrapolate = "warn"
    ) -> Surrogate:
        """Load a model trained on the reference database and shipped with crtransport.

        The paper's models (``'paper'``, ``'improved'``) were trained on the 90 % training
        split of :func:`crtransport.datasets.paper` (``crtransport.dataset.split(ds, 0.1,
        seed=0)``); their accuracy on the 10 % test split, the training recipe and the
        database they saw are recorded in ``sur.state.provenance`` (see the surrogate guide).
        ``'general'`` was trained on the training rows of :func:`crtransport.datasets.general`
        and measured once on its held-out test rows (documentation: "The general model").

        Parameters
        ----------
        name : {'paper', 'improved', 'general'}, optional
            ``'paper'``: the paper's network and optimiser (3-10-5-1, tanh, squared output,
            Adam 1e-3 / 0.9 / 0.95 / 1e-7, full batch, mean-squared loss). ``'improved'``: the
            best of a few other recipes (wider layers, log-space loss, log inputs, a
            :math:`b^2` output prior; ``sur.state.provenance["recipe"]`` says which), shipped
            only when it was clearly more accurate than the paper's on validation data; see
            :meth:`available_pretrained`. ``'general'``: D_perp and D_par, pitch-angle
            averaged, over the general database's space in the similarity variables (a
            :class:`~crtransport.surrogate.TransportSurrogate`, whose ``predict`` takes its own
            ``on_extrapolate``; its test accuracy is in ``model.metadata["test"]``).
            Default: the most accurate model of the paper's cube shipped, ``'improved'`` when
            it ships, else ``'paper'``.
        on_extrapolate : {'warn', 'raise', 'ignore'}, default: 'warn'
            See :class:`Surrogate`.

        Raises
        ------
        ValueError
            If ``name`` is not one of the shipped models.
        FileNotFoundError
            If this installation lacks the model file.

        Examples
        --------
        >>> import crtransport as crt
        >>> sur = crt.Surrogate.pretrained()  # doctest: +SKIP
        >>> sur.predict(T=1.0, b=0.2, lambda_perp=5.0)  # doctest: +SKIP
        """
        if name is None:
            name = "improved" if "improved" in cls.available_pretrained() else "paper"
        name = check_choice("name", name, tuple(datasets.SURROGATE_FILES))
        with importlib.resources.as_file(datasets.surrogate_file(name)) as path:
            if name == "general":  # D_perp and D_par in similarity variables
                from crtransport.surrogate._transport import TransportSurrogate

                return TransportSurrogate.load(path)  # type: ignore[return-value]
            return cls.load(path, on_extrapolate=on_extrapolate)

    @staticmethod
    def available_pretrained() -> tuple[str, ...]:
        """Names of the pretrained models this installation ships (for :meth:`pretrained`)."""
        return datasets.shipped_surrogates()

    # ----------------------------------------------------------------- properties
    @property
    def config(self) -> SurrogateConfig:
        """The configuration (of the fitted model once fitted or loaded)."""
        return self._nets.state.config if self._nets is not None else self._config

    @property
    def state(self) -> SurrogateState:
        """The fitted state; raises RuntimeError before :meth:`fit` or :meth:`load`."""
        return self._networks().state

    @property
    def history(self) -> TrainingHistory:
        """Loss curves and training bookkeeping of the fitted model."""
        return self.state.history

    @property
    def is_fitted(self) -> bool:
        """Whether the estimator holds a fitted model."""
        return self._nets is not None

    @property
    def features(self) -> tuple[str, ...]:
        """Names of the inputs, in order."""
        return self.config.features

    @property
    def domain(self) -> dict[str, tuple[float, float]]:
        """Training domain ``{name: (low, high)}`` of every input, in its units."""
        state = self.state
        return {
            name: (float(lo), float(hi))
            for name, lo, hi in zip(
                state.config.features, state.domain_low, state.domain_high, strict=True
            )
        }

    def __repr__(self) -> str:
        c = self.config
        sizes = "-".join(str(s) for s in c.layer_sizes)
        fitted = "fitted" if self._nets is not None else "not fitted"
        ens = f", n_models={c.n_models}" if c.n_models > 1 else ""
        prior = f", prior={prior_text(c)!r}" if c.output_powers else ""
        return (
            f"Surrogate({sizes}, activation={c.activation!r}, output={c.output_activation!r}"
            f"{prior}, loss={c.loss!r}{ens}, {fitted})"
        )

    def _networks(self) -> Networks:
        if self._nets is None:
            raise RuntimeError(
                "this Surrogate is not fitted: call fit(), or load a model with "
                "Surrogate.load(path)."
            )
        return self._nets

    # ----------------------------------------------------------------- training
    def fit(
        self,
        data: Any,
        y: ArrayLike | None = None,
        *,
        epochs: int | None = None,
        key: int | jax.Array = 0,
        validation: Any = None,
        domain: Mapping[str, tuple[float, float]] | None = None,
        progress: bool | None = False,
    ) -> Surrogate:
        """Train the network (all epochs inside one jitted ``lax.scan``); return ``self``.

        Parameters
        ----------
        data : xarray.Dataset, Mapping or ndarray
            Training data. A Dataset (the dataset builder's format: dimension ``sample``)
            or a mapping must hold the ``features`` and the ``target`` variables; rows with
            ``is_analytic`` set (exact b = 0 points) train like the others. An array gives
            the inputs in ``features`` order, with ``y`` the targets.
        y : array_like of shape (n_samples,), optional
            Targets when ``data`` is an array, in the target's units.
        epochs : int, optional
            Number of epochs (>= 0); default ``config.n_epochs`` (5000).
        key : int or jax.Array, default: 0
            Seed or PRNG key for the initial weights (and the mini-batch order).
        validation : xarray.Dataset, Mapping or tuple, optional
            Held-out data: its loss is recorded every epoch (``history.test_loss``) and
            drives early stopping.
        domain : Mapping, optional
            Training domain per input, e.g. ``{"T": (0, 10)}``, in the inputs' units.
            Default: for a crtransport database, the bounds of its free inputs (the
            ``parameter_space`` attribute, e.g. the paper's hypercube), otherwise the range
            of the training inputs; the domain always covers the training inputs.
            Prediction outside it warns or raises (``on_extrapolate``).
        progress : bool or None, default: False
            Show a tqdm progress bar of the epochs on stderr (the scan then runs in chunks of
            250 epochs, with the same numbers). None shows it only when stderr is a terminal
            (what ``crtransport train`` does).

        Returns
        -------
        Surrogate
            ``self``, fitted.

        Raises
        ------
        ValueError
            If a variable is missing, shapes disagree, data are non-finite or too few (< 2
            rows), ``epochs`` is negative, the log loss gets negative targets, a log feature
            gets non-positive values, training diverges to non-finite parameters,
            ``domain`` names an unknown input or has ``low > high``, or under an
            ``output_powers`` prior an input is out of its range (negative under a positive
            exponent, non-positive under a negative one) or a row has a zero prior but a
            non-zero target.
        TypeError
            If ``key`` is not a seed or a PRNG key, or the data have the wrong type.

        Notes
        -----
        Inputs are mapped (after the log of ``log_features``) affinely onto [-1, 1] by the
        training range; the output is divided by :math:`s_y`, the RMS of the training
        targets (after dividing them by the ``output_powers`` prior, if any; rows where the
        prior and the target are both zero are then reproduced exactly and skipped, and
        ``history.n_train`` counts the rows trained on), so the default MSE loss is the
        paper's error E over the mean squared target (its fig. 5).
        ``history.train_loss[:, i]`` is the loss after ``i`` epochs.
        """
        state = fit_state(
            self._config,
            self._optimizer,
            data,
            y,
            epochs=epochs,
            key=key,
            validation=validation,
            domain=domain,
            progress=progress,
        )
        self._config = state.config
        self._nets = Networks(state)
        return self

    # ----------------------------------------------------------------- prediction
    def predict(
        self,
        data: Any = None,
        /,
        *,
        return_std: bool = False,
        on_extrapolate: OnExtrapolate | None = None,
        **inputs: Any,
    ) -> Any:
        """Predict the target from named inputs, an input array, or a Dataset.

        Parameters
        ----------
        data : xarray.Dataset or array of shape (n, n_features), optional
            Inputs as Dataset variables (returns a DataArray) or as columns in ``features``
            order. Give either ``data`` or the named inputs.
        return_std : bool, default: False
            Also return the ensemble spread (sample standard deviation over members);
            needs ``n_models >= 2``.
        on_extrapolate : {'warn', 'raise', 'ignore'}, optional
            Inputs outside the training domain: warn (AccuracyWarning), raise ValueError, or
            ignore; default the estimator's setting.
        **inputs : float or array_like
            The inputs by name (e.g. ``T=1.0, b=0.2, lambda_perp=5.0``; units in
            :mod:`crtransport.units`), broadcast against each other. DataArrays give a
            DataArray.

        Returns
        -------
        ndarray of float64, numpy.float64, or xarray.DataArray
            The prediction in the target's units (scaled units, e.g. ``rho0^2 omega_c`` for
            D_perp), with the broadcast shape of the inputs. With ``return_std``, a pair
            ``(mean, std)``.

        Raises
        ------
        ValueError
            If an input is missing or unknown, shapes do not broadcast, an array has the
            wrong shape, ``return_std`` is asked of a single network, ``on_extrapolate`` is
            unknown, inputs lie outside the training domain with ``on_extrapolate="raise"``,
            or an input of the ``output_powers`` prior is negative (non-positive under a
            negative exponent).
        TypeError
            If inputs are not real numbers, or both ``data`` and named inputs are given.
        RuntimeError
            If the estimator is not fitted.

        Warns
        -----
        AccuracyWarning
            If inputs lie outside the training domain (``on_extrapolate="warn"``); the
            message lists how many and the domain.
        """
        policy = self._on_extrapolate if on_extrapolate is None else on_extrapolate
        return predict(
            self._networks(), data, inputs, return_std=return_std, policy=policy, stacklevel=3
        )

    def evaluate(self, data: Any, y: ArrayLike | None = None) -> SurrogateEvaluation:
        """Compare predictions with true values on test data (the paper's fig. 6).

        Parameters
        ----------
        data : xarray.Dataset, Mapping or ndarray
            Test data with the inputs and the target (as for :meth:`fit`).
        y : array_like of shape (n_samples,), optional
            Targets when ``data`` is an array.

        Returns
        -------
        crtransport.surrogate.SurrogateEvaluation
            RMS relative error :math:`\\sqrt{\\langle(Z/Y - 1)^2\\rangle}`, the relative
            errors, and more. Rows with ``Y == 0`` (exact b = 0 rows) are excluded from the
            relative metrics and counted in ``n_excluded``. Inputs outside the training
            domain are predicted without warning and counted in ``n_outside_domain``.

        Raises
        ------
        ValueError
            As for :meth:`fit` (missing variables, wrong shapes, non-finite data).
        RuntimeError
            If the estimator is not fitted.
        """
        return evaluate_state(self._networks(), data, y)

    # ----------------------------------------------------------------- persistence
    def save(
        self, path: str | os.PathLike[str], *, provenance: Mapping[str, Any] | None = None
    ) -> Path:
        """Write the fitted model to ``path`` (any extension; written atomically).

        Parameters
        ----------
        path : str or os.PathLike
            Destination; the name is used as given (no ``.npz`` is appended).
        provenance : Mapping, optional
            JSON-serialisable record stored in the file instead of ``state.provenance`` (e.g.
            the training database and the measured test accuracy). The estimator itself is
            not changed: :meth:`load` the file to get a model that carries it.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        RuntimeError
            If the estimator is not fitted.

        Notes
        -----
        An uncompressed NumPy ``.npz`` archive of float32 arrays (``layer_<i>/weight`` of
        shape (n_models, n_out, n_in), ``layer_<i>/bias``, ``input/offset``, ``input/scale``,
        ``output/scale``, the domain, the loss history) plus ``metadata``, UTF-8 JSON as a
        uint8 array; the user guide documents it for evaluators in other languages.
        """
        state = self.state
        if provenance is not None:
            state = dataclasses.replace(state, provenance=provenance)
        return save_state(state, path)
