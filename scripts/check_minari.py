#!/usr/bin/env python3
"""Checks that Minari and h5py open Ludus episode datasets and see the games Ludus reported.

    scripts/check_minari.py EXPECTED.json

EXPECTED.json is a list of datasets: {"path": ".../data", "game", "num_actions",
"observation_shape", "episodes": [{"actions", "returns", "winner", "searched"}, ...]}, written by
crates/episodes/tests/episodes.rs. Each dataset is opened with `minari.MinariDataset` and with
plain h5py; episode counts, step counts, actions, rewards, outcomes and array shapes must match.
Prints one line per dataset; exits non-zero with the first mismatch.
"""
import json
import os
import sys

import h5py
import minari
import numpy as np


def fail(message):
    sys.exit(f"check_minari: {message}")


def check(dataset):
    path = dataset["path"]
    expected = dataset["episodes"]
    game = dataset["game"]
    a = dataset["num_actions"]
    shape = tuple(dataset["observation_shape"])
    ds = minari.MinariDataset(path)
    if ds.total_episodes != len(expected):
        fail(f"{game}: minari sees {ds.total_episodes} episodes, Ludus wrote {len(expected)}")
    total_steps = sum(len(e["actions"]) for e in expected)
    if ds.total_steps != total_steps:
        fail(f"{game}: minari counts {ds.total_steps} steps, Ludus wrote {total_steps}")
    metadata = ds.storage.get_episode_metadata(range(len(expected)))
    for i, (episode, want, attrs) in enumerate(zip(ds.iterate_episodes(), expected, metadata)):
        t = len(want["actions"])
        where = f"{game} episode {i}"
        if episode.id != i:
            fail(f"{where}: id {episode.id}")
        if list(episode.actions) != want["actions"]:
            fail(f"{where}: actions {list(episode.actions)} != {want['actions']}")
        obs = episode.observations
        if obs["observation"].shape != (t + 1,) + shape:
            fail(f"{where}: observation shape {obs['observation'].shape}")
        if obs["action_mask"].shape != (t + 1, a) or obs["to_play"].shape != (t + 1,):
            fail(f"{where}: mask {obs['action_mask'].shape} / to_play {obs['to_play'].shape}")
        # Every action was legal where it was played; the final position has no legal move.
        for step, action in enumerate(want["actions"]):
            if obs["action_mask"][step][action] != 1:
                fail(f"{where}: action {action} at ply {step} is not in its mask")
        if obs["action_mask"][t].any():
            fail(f"{where}: the final position has legal moves in its mask")
        returns = want["returns"]
        mover = int(obs["to_play"][t - 1])
        rewards = np.asarray(episode.rewards)
        if rewards.shape != (t,) or rewards[-1] != returns[mover] or rewards[:-1].any():
            fail(f"{where}: rewards {rewards} for returns {returns}")
        if not episode.terminations[-1] and not episode.truncations[-1]:
            fail(f"{where}: neither terminated nor truncated")
        target = episode.infos["value_target"]
        for step in range(t + 1):
            if target[step] != returns[int(obs["to_play"][step])]:
                fail(f"{where}: value target at {step}")
        if int(attrs["winner"]) != want["winner"]:
            fail(f"{where}: winner {attrs['winner']} != {want['winner']}")
        if list(attrs["returns"]) != returns:
            fail(f"{where}: returns {list(attrs['returns'])} != {returns}")
        if int(attrs["total_steps"]) != t:
            fail(f"{where}: total_steps {attrs['total_steps']}")
        if ("mcts" in episode.infos) != want["searched"]:
            fail(f"{where}: search statistics present: {'mcts' in episode.infos}")
    # Plain h5py, through the external links.
    with h5py.File(os.path.join(path, "main_data.hdf5"), "r") as f:
        if len(f.keys()) < len(expected):
            fail(f"{game}: h5py sees {len(f.keys())} episodes")
        for i, want in enumerate(expected):
            if list(f[f"episode_{i}/actions"][()]) != want["actions"]:
                fail(f"{game} episode {i}: h5py reads other actions")
    print(f"{game}: {len(expected)} episodes, {total_steps} steps: minari and h5py agree")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        datasets = json.load(f)
    for dataset in datasets:
        check(dataset)


if __name__ == "__main__":
    main()
