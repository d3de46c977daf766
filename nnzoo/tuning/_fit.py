"""Training and scoring for tuning, with or without a `tf.distribute` strategy.

Models come from the factories already built and compiled inside the
strategy's scope (`strategy=`), so without a strategy and with one-machine
strategies (`MirroredStrategy`, `OneDeviceStrategy`) trials and the final
refit train with nnzoo's recipe: `nnzoo.fit` (its input pipeline and data
checks) with the recipe's early stopping (`nnzoo.callbacks.early_stopping`,
best weights restored). Plateau cuts and schedules are not added: a trial's
learning rate is the one its hyperparameters chose.

`MultiWorkerMirroredStrategy` does not: on Keras 3.15 / TF 2.21,
`Model.fit`, `evaluate`, `train_on_batch` and `test_on_batch` all fail
with more than one worker, because Keras reduces per-replica outputs with
`strategy.reduce(..., axis=0)` (keras-team/keras#20585,
tensorflow/tensorflow#72388). For that strategy the epochs run here, in a
short loop over Keras's own `train_step` / `test_step` under
`strategy.run`: same loss, regularisation, gradient all-reduce, metrics and
callbacks (early stopping included), only the outer loop differs. Every
worker evaluates the full validation data, so every worker sees the same
validation metrics and takes the same early-stopping decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnzoo._validation import fail


@dataclass(frozen=True)
class FitOutcome:
    """What one training run reports.

    Attributes:
        history: Per-epoch logs, as `History.history`.
        best_epoch: 0-based index (counted from epoch 0, across warm starts)
            of the epoch whose weights the model now holds.
        epochs_run: Epochs trained in this run.
    """

    history: dict
    best_epoch: int
    initial_epoch: int
    epochs_run: int

    def validation_scores(self) -> dict:
        """The `val_*` metrics of the epoch whose weights the model holds.

        With the best weights restored these are exactly what evaluating the
        model on the validation data gives, without a second pass over it.
        """
        index = self.best_epoch - self.initial_epoch
        return {k: float(v[index]) for k, v in self.history.items() if k.startswith("val_")}


def is_multi_worker(strategy: Any) -> bool:
    """True for a `tf.distribute.MultiWorkerMirroredStrategy`."""
    if strategy is None:
        return False
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def fit_model(
    model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    validation_data: tuple | None = None,
    patience: int | None = None,
    callbacks: Sequence[Any] = (),
    initial_epoch: int = 0,
    strategy: Any = None,
    seed: int | None = None,
) -> FitOutcome:
    """Trains `model`, with early stopping on `val_loss` when there is validation data.

    Args:
        model: A compiled `keras.Model` (built in `strategy.scope()` if any).
        x: Inputs.
        y: Targets.
        epochs: Index of the last epoch, as in `Model.fit`.
        batch_size: Global batch size.
        validation_data: `(x_val, y_val)` or None.
        patience: Early-stopping patience on `val_loss` (the best weights are
            restored); None trains all epochs.
        callbacks: Extra Keras callbacks (used as given: copy them first if
            they are reused).
        initial_epoch: Epoch to start from (warm starts).
        strategy: The strategy the model was built under, or None.
        seed: Shuffling seed of the multi-worker loop (all workers must agree).

    Returns:
        A `FitOutcome`.
    """
    from nnzoo.callbacks import early_stopping
    from nnzoo.training import fit

    stopper = None
    if patience is not None and validation_data is not None:
        stopper = early_stopping("val_loss", patience)
    all_callbacks = [*callbacks, *([stopper] if stopper is not None else [])]
    if is_multi_worker(strategy):
        history = _fit_multi_worker(model, x, y, strategy=strategy, epochs=epochs, initial_epoch=initial_epoch,
                                    batch_size=batch_size, validation_data=validation_data,
                                    callbacks=all_callbacks, seed=seed)
    else:
        history = fit(model, x, y, validation_data=validation_data, epochs=epochs, initial_epoch=initial_epoch,
                      batch_size=batch_size, callbacks=all_callbacks, shuffle=True, verbose=0).history
    epochs_run = len(history.get("loss", ()))
    best = stopper.best_epoch if stopper is not None and epochs_run else initial_epoch + epochs_run - 1
    return FitOutcome(history=dict(history), best_epoch=int(best), initial_epoch=initial_epoch,
                      epochs_run=epochs_run)


def _results(model) -> dict:
    return {k: float(v) for k, v in model.get_metrics_result().items()}


def _test_function(model, strategy):
    import tensorflow as tf

    @tf.function
    def test_step(batch):
        strategy.run(model.test_step, args=(batch,))

    return test_step


def _evaluate_multi_worker(model, x, y, *, strategy, batch_size: int, test_step=None) -> dict:
    import tensorflow as tf

    test_step = test_step or _test_function(model, strategy)
    model.reset_metrics()
    # Not distributed: every worker scores all of (x, y), so all agree.
    for batch in tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size):
        test_step(batch)
    return _results(model)


def _fit_multi_worker(model, x, y, *, strategy, epochs, initial_epoch, batch_size, validation_data, callbacks,
                      seed) -> dict:
    import keras
    import tensorflow as tf

    replicas = strategy.num_replicas_in_sync
    n = len(x)
    if n < replicas:
        fail("Too few samples for the number of replicas", f"at least {replicas} training samples", n_samples=n)
    global_batch = max(replicas, min(batch_size, n) // replicas * replicas)
    with strategy.scope():
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    # Same seed on every worker: the workers shard one shuffled order between them.
    dataset = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(n, seed=0 if seed is None else seed, reshuffle_each_iteration=True)
        .batch(global_batch, drop_remainder=True)  # every worker runs the same number of steps
        .with_options(options)
    )
    train_data = strategy.experimental_distribute_dataset(dataset)

    @tf.function
    def train_step(batch):
        strategy.run(model.train_step, args=(batch,))

    test_step = _test_function(model, strategy)
    history = keras.callbacks.History()
    callback_list = keras.callbacks.CallbackList([*callbacks, history], model=model, epochs=epochs, verbose=0)
    model.stop_training = False
    logs: dict = {}
    callback_list.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        callback_list.on_epoch_begin(epoch)
        model.reset_metrics()
        for batch in train_data:
            train_step(batch)
        logs = _results(model)
        if validation_data is not None:
            val = _evaluate_multi_worker(model, *validation_data, strategy=strategy, batch_size=batch_size,
                                         test_step=test_step)
            logs.update({f"val_{k}": v for k, v in val.items()})
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return history.history
