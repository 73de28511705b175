//! Device selection: `cpu`, `cuda` or `cuda:N`, the same spelling everywhere (`--device`).

use candle_core::Device;

use crate::{NnError, Result};

/// Whether this build can run networks on CUDA GPUs (the `cuda` cargo feature).
pub const CUDA_BUILD: bool = cfg!(feature = "cuda");

/// Parses a device name. `cuda` means `cuda:0`.
///
/// Asking for CUDA in a build without the `cuda` feature is an error that says how to get a CUDA
/// build, rather than candle's panic-free but cryptic "not compiled with cuda support".
pub fn parse_device(spec: &str) -> Result<Device> {
    let err = |reason: String| NnError::Device {
        spec: spec.to_string(),
        reason,
    };
    let spec_trim = spec.trim();
    if spec_trim.eq_ignore_ascii_case("cpu") {
        return Ok(Device::Cpu);
    }
    let ordinal = if spec_trim.eq_ignore_ascii_case("cuda") {
        0
    } else if let Some(n) = spec_trim
        .strip_prefix("cuda:")
        .or_else(|| spec_trim.strip_prefix("CUDA:"))
    {
        n.parse::<usize>().map_err(|_| {
            err(format!(
                "`{n}` is not a GPU number; write cuda:0, cuda:1, ..."
            ))
        })?
    } else {
        return Err(err(
            "unknown device; expected cpu, cuda or cuda:N (N = GPU number)".to_string(),
        ));
    };
    if !CUDA_BUILD {
        return Err(err(
            "this binary was built without CUDA support; rebuild with `--features cuda` \
             (see shared/gpu/README.md) or use --device cpu"
                .to_string(),
        ));
    }
    Device::new_cuda(ordinal).map_err(|e| err(format!("cannot open GPU {ordinal}: {e}")))
}

/// The canonical name of a device, as [`parse_device`] accepts it.
pub fn device_name(device: &Device) -> String {
    match device.location() {
        candle_core::DeviceLocation::Cpu => "cpu".to_string(),
        candle_core::DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        candle_core::DeviceLocation::Metal { gpu_id } => format!("metal:{gpu_id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_parses_and_garbage_is_explained() {
        assert!(parse_device("cpu").unwrap().is_cpu());
        assert!(parse_device(" CPU ").unwrap().is_cpu());
        let e = parse_device("gpu").unwrap_err().to_string();
        assert!(e.contains("expected cpu, cuda or cuda:N"), "{e}");
        let e = parse_device("cuda:x").unwrap_err().to_string();
        assert!(e.contains("not a GPU number"), "{e}");
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_in_a_cpu_build_is_a_clear_error() {
        for spec in ["cuda", "cuda:0", "cuda:3"] {
            let e = parse_device(spec).unwrap_err().to_string();
            assert!(e.contains("built without CUDA support"), "{e}");
            assert!(e.contains("--features cuda"), "{e}");
        }
    }
}
