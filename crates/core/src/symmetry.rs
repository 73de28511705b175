use crate::Action;

/// A symmetry of a game's rules, as two permutations that act together: one over the cells of
/// the observation planes (the same for every plane) and one over the actions.
///
/// Forward convention: cell `i` moves to `cells[i]`, action `a` becomes `actions[a]`. So if
/// position `s` has observation `o` and policy `p`, the transformed position has observation
/// `o'[plane][cells[i]] = o[plane][i]` and policy `p'[actions[a]] = p[a]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symmetry {
    /// A short name such as `identity`, `rot90`, `flip_h`.
    pub name: String,
    /// Permutation of the `height × width` cells.
    pub cells: Vec<usize>,
    /// Permutation of the actions.
    pub actions: Vec<Action>,
}

impl Symmetry {
    /// The identity over `cells` cells and `actions` actions.
    pub fn identity(cells: usize, actions: usize) -> Self {
        Symmetry {
            name: "identity".to_string(),
            cells: (0..cells).collect(),
            actions: (0..actions).collect(),
        }
    }

    /// The dihedral symmetries of a `size × size` board (identity first): four rotations and
    /// four reflections. Board actions are `row * size + col`; actions at or above `size²` (such
    /// as pass) map to themselves.
    pub fn square_board(size: usize, num_actions: usize) -> Vec<Symmetry> {
        let names = [
            "identity",
            "rot90",
            "rot180",
            "rot270",
            "flip_v",
            "flip_h",
            "transpose",
            "anti_transpose",
        ];
        let n = size - 1;
        names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let map = |r: usize, c: usize| -> (usize, usize) {
                    match k {
                        0 => (r, c),
                        1 => (c, n - r),
                        2 => (n - r, n - c),
                        3 => (n - c, r),
                        4 => (n - r, c),
                        5 => (r, n - c),
                        6 => (c, r),
                        _ => (n - c, n - r),
                    }
                };
                Self::from_cell_map(name, size, size, num_actions, map)
            })
            .collect()
    }

    /// Builds a symmetry of a `height × width` board from a map of `(row, col)` cells, for games
    /// whose board actions are `row * width + col` (actions beyond the board are fixed).
    pub fn from_cell_map(
        name: &str,
        height: usize,
        width: usize,
        num_actions: usize,
        map: impl Fn(usize, usize) -> (usize, usize),
    ) -> Symmetry {
        let cells: Vec<usize> = (0..height * width)
            .map(|i| {
                let (r, c) = map(i / width, i % width);
                r * width + c
            })
            .collect();
        let actions = (0..num_actions)
            .map(|a| if a < cells.len() { cells[a] } else { a })
            .collect();
        Symmetry {
            name: name.to_string(),
            cells,
            actions,
        }
    }

    /// Maps one action.
    pub fn map_action(&self, action: Action) -> Action {
        self.actions[action]
    }

    /// Writes the transformed observation of shape `[planes, cells]` into `out`.
    ///
    /// # Panics
    /// If `obs` or `out` is not a whole number of planes of `self.cells.len()` cells.
    pub fn map_observation(&self, obs: &[f32], out: &mut [f32]) {
        let n = self.cells.len();
        assert!(
            obs.len().is_multiple_of(n) && out.len() == obs.len(),
            "observation size mismatch"
        );
        for (src, dst) in obs.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
            for (i, &v) in src.iter().enumerate() {
                dst[self.cells[i]] = v;
            }
        }
    }

    /// Writes the transformed per-action values (policy, mask, visit counts) into `out`.
    pub fn map_policy<T: Copy>(&self, policy: &[T], out: &mut [T]) {
        assert_eq!(policy.len(), self.actions.len(), "policy size mismatch");
        assert_eq!(out.len(), policy.len(), "policy size mismatch");
        for (a, &v) in policy.iter().enumerate() {
            out[self.actions[a]] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_board_symmetries_form_a_group_of_permutations() {
        let syms = Symmetry::square_board(3, 10);
        assert_eq!(syms.len(), 8);
        assert_eq!(syms[0], Symmetry::identity(9, 10));
        for s in &syms {
            let mut seen = [false; 9];
            for &c in &s.cells {
                seen[c] = true;
            }
            assert!(seen.iter().all(|&x| x), "{} is not a permutation", s.name);
            assert_eq!(s.actions[9], 9, "pass must stay fixed");
        }
        // rot90 four times is the identity; rot90 maps the top-left corner to the top-right.
        let r = &syms[1];
        assert_eq!(r.cells[0], 2);
        let mut c = 4usize.pow(0);
        for _ in 0..4 {
            c = r.cells[c];
        }
        assert_eq!(c, 1);
        // All eight are distinct.
        for i in 0..8 {
            for j in 0..i {
                assert_ne!(syms[i].cells, syms[j].cells);
            }
        }
    }

    #[test]
    fn maps_observation_and_policy_consistently() {
        let s = &Symmetry::square_board(2, 4)[1];
        let obs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let mut out = [0.0; 8];
        s.map_observation(&obs, &mut out);
        let mut pol = [0.0; 4];
        s.map_policy(&obs[..4], &mut pol);
        assert_eq!(&out[..4], &pol);
        assert_eq!(out.iter().sum::<f32>(), 36.0);
    }
}
