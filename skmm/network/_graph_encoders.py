"""Encoders of graph blocks: node embeddings aggregated over a sampled neighbourhood.

A graph block's rows are ``(n_roots, n_slots, channels)`` (see
`skmm.preprocessing.GraphNeighborhood`): per root node, slot 0 the node, then
its ``k1`` sampled neighbours, then (two hops) ``k2`` neighbours of each of
those; channel 0 the embedding index (0 an empty slot, 1 the unknown node),
the others the node's features.

Every node gets ``embedding(index) + Dense(features)``; GraphSAGE layers then
combine each node with an aggregate of its neighbours, hop by hop: with two
hops, the first layer updates the root (from its first-hop neighbours) and
each first-hop neighbour (from its own), the second updates the root from the
updated neighbours. Empty slots are masked out everywhere; a row whose node is
missing gives zeros. With two roots (a user and an item) the block's features
are ``[user, item, user * item]``.

A [`GraphEncoder`][skmm.network.GraphEncoder]'s function is
``function(units, *, reg, name)``: it returns one GraphSAGE layer, a callable
``layer(node, neighbors, mask)`` taking ``(..., units)`` node features,
``(..., k, units)`` neighbour features and the ``(..., k)`` 0/1 neighbour mask,
and returning ``(..., units)``. The layer is called once per hop level it
serves (shared weights).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers, ops

from ._encoders import l2_regularizer
from ._named_registry import Declaration, NamedRegistry

#: A large negative logit for the masked neighbours of max and attention aggregation.
_MASKED = -1e9


@keras.saving.register_keras_serializable(package="skmm")
class NeighborhoodSlots(layers.Layer):
    """Splits ``(batch, roots, slots, units)`` slot features into the roots
    ``(batch, roots, units)``, the first hop ``(batch, roots, k1, units)`` and, with
    two hops, the second ``(batch, roots, k1, k2, units)``."""

    def __init__(self, n_neighbors, **kwargs):
        super().__init__(**kwargs)
        self.n_neighbors = tuple(int(k) for k in n_neighbors)

    def call(self, slots):
        k1 = self.n_neighbors[0]
        parts = [slots[:, :, 0], slots[:, :, 1 : 1 + k1]]
        if len(self.n_neighbors) == 2:
            k2 = self.n_neighbors[1]
            second = slots[:, :, 1 + k1 :]
            shape = ops.shape(second)
            parts.append(ops.reshape(second, (shape[0], shape[1], k1, k2, *second.shape[3:])))
        return parts

    def compute_output_shape(self, input_shape):
        batch, roots, _, *rest = input_shape
        k1 = self.n_neighbors[0]
        shapes = [(batch, roots, *rest), (batch, roots, k1, *rest)]
        if len(self.n_neighbors) == 2:
            shapes.append((batch, roots, k1, self.n_neighbors[1], *rest))
        return shapes

    def get_config(self):
        return {**super().get_config(), "n_neighbors": self.n_neighbors}


@dataclass(frozen=True)
class GraphEncoder(Declaration):
    """A named GraphSAGE aggregation, the value of ``graph_encoder``.

    Parameters
    ----------
    name : str
        The value of the estimators' ``graph_encoder`` parameter.
    function : callable
        See the module's docstring for its signature.
    description : str, default=""
        One line on what it does.
    """

    what = "graph encoder"


_GRAPH_ENCODERS = NamedRegistry(GraphEncoder, "graph_encoder", "register_graph_encoder")


def register_graph_encoder(encoder, *, replace=False):
    """Make ``encoder`` selectable as ``graph_encoder=<its name>``; return it.

    Examples
    --------
    >>> from keras import layers, ops
    >>> from skmm.network import (
    ...     GraphEncoder, graph_encoder_names, register_graph_encoder, unregister_graph_encoder
    ... )
    >>> def sum_layer(units, *, reg, name):
    ...     dense = layers.Dense(units, activation="relu", kernel_regularizer=reg, name=name)
    ...     return lambda node, neighbors, mask: dense(
    ...         node + ops.sum(neighbors * mask[..., None], axis=-2))
    >>> _ = register_graph_encoder(GraphEncoder("sum", sum_layer))
    >>> "sum" in graph_encoder_names()
    True
    >>> _ = unregister_graph_encoder("sum")
    """
    return _GRAPH_ENCODERS.register(encoder, replace=replace)


def unregister_graph_encoder(name):
    """Remove the graph encoder ``name`` and return it."""
    return _GRAPH_ENCODERS.unregister(name)


def get_graph_encoder(name):
    """The graph encoder registered as ``name``; a ``ValueError`` naming the others."""
    return _GRAPH_ENCODERS.get(name)


def graph_encoder_names():
    """The registered graph encoders' names, in registration order."""
    return _GRAPH_ENCODERS.names()


def _masked_mean(neighbors, mask):
    total = ops.sum(neighbors * mask[..., None], axis=-2)
    count = ops.maximum(ops.sum(mask, axis=-1, keepdims=True), 1.0)
    return total / count


def _masked_max(neighbors, mask):
    largest = ops.max(neighbors + (1.0 - mask[..., None]) * _MASKED, axis=-2)
    return largest * ops.max(mask, axis=-1, keepdims=True)  # no neighbour: zeros


def _sage(pool):
    """GraphSAGE: ``relu(W [node, pool(neighbors)])``."""

    def layer_for(units, *, reg, name):
        dense = layers.Dense(units, activation="relu", kernel_regularizer=reg, name=name)

        def layer(node, neighbors, mask):
            return dense(ops.concatenate([node, pool(neighbors, mask)], axis=-1))

        return layer

    return layer_for


def _attention(units, *, reg, name):
    """GAT-style: ``relu(W node + sum_j a_j W neighbor_j)``, ``a`` a softmax over the
    present neighbours of ``LeakyReLU(u . W node + v . W neighbor_j)``."""
    project = layers.Dense(units, use_bias=False, kernel_regularizer=reg, name=f"{name}_project")
    score_node = layers.Dense(1, use_bias=False, kernel_regularizer=reg, name=f"{name}_score_node")
    score_neighbor = layers.Dense(
        1, use_bias=False, kernel_regularizer=reg, name=f"{name}_score_neighbor"
    )
    bias = layers.Dense(units, activation="relu", kernel_regularizer=reg, name=f"{name}_combine")

    def layer(node, neighbors, mask):
        own = project(node)
        others = project(neighbors)
        logits = score_node(own)[..., None, 0] + score_neighbor(others)[..., 0]
        logits = ops.leaky_relu(logits, negative_slope=0.2) + (1.0 - mask) * _MASKED
        weights = ops.softmax(logits, axis=-1) * mask
        attended = ops.sum(others * weights[..., None], axis=-2)
        return bias(ops.concatenate([own, attended], axis=-1))

    return layer


register_graph_encoder(
    GraphEncoder("mean", _sage(_masked_mean), "GraphSAGE, the mean of the neighbours")
)
register_graph_encoder(
    GraphEncoder("max", _sage(_masked_max), "GraphSAGE, the element-wise max of the neighbours")
)
register_graph_encoder(
    GraphEncoder("attention", _attention, "GAT-style attention over the neighbours")
)


def graph_block_encoder(inputs, spec, *, l2, graph_encoder, graph_units):
    """The encoder of a graph block: node embeddings (plus projected node features),
    ``len(n_neighbors)`` GraphSAGE layers of the ``graph_encoder`` kind, masked."""
    reg = l2_regularizer(l2)
    name = spec.name
    n_neighbors = tuple(spec.detail("n_neighbors"))
    n_embeddings = int(spec.detail("n_embeddings"))
    n_roots, _, n_channels = spec.shape
    units = int(graph_units)
    ids = ops.cast(ops.round(inputs[..., 0]), "int32")
    present = ops.cast(ops.greater(ids, 0), inputs.dtype)
    nodes = layers.Embedding(
        n_embeddings, units, embeddings_regularizer=reg, name=f"{name}_node_embedding"
    )(ids)
    if n_channels > 1:
        nodes = nodes + layers.Dense(units, kernel_regularizer=reg, name=f"{name}_node_features")(
            inputs[..., 1:]
        )
    nodes = nodes * present[..., None]
    split = NeighborhoodSlots(n_neighbors, name=f"{name}_slots")
    node_parts = split(nodes)
    mask_parts = NeighborhoodSlots(n_neighbors, name=f"{name}_slot_mask")(present[..., None])
    mask_parts = [m[..., 0] for m in mask_parts]
    make = get_graph_encoder(graph_encoder).function
    first = make(units, reg=reg, name=f"{name}_sage1")
    if len(n_neighbors) == 1:
        root = first(node_parts[0], node_parts[1], mask_parts[1])
    else:
        root_1 = first(node_parts[0], node_parts[1], mask_parts[1])
        hop_1 = first(node_parts[1], node_parts[2], mask_parts[2]) * mask_parts[1][..., None]
        second = make(units, reg=reg, name=f"{name}_sage2")
        root = second(root_1, hop_1, mask_parts[1])
    root = root * mask_parts[0][..., None]  # a missing node: zeros
    if n_roots == 2:
        return layers.Concatenate(name=f"{name}_pair")(
            [root[:, 0], root[:, 1], root[:, 0] * root[:, 1]]
        )
    return layers.Flatten(name=f"{name}_flatten")(root)
