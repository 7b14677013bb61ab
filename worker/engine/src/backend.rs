//! Which burn backend a job runs on, chosen at run time. Every backend runs
//! the same code path; the build identity names the one a trace used.

use burn::tensor::Device;

use crate::error::{EngineError, Result};

/// Backend selection at run time; all share one code path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Flex,
    #[cfg(feature = "vulkan")]
    Vulkan,
    #[cfg(feature = "cuda")]
    Cuda,
}

impl BackendKind {
    /// Parses `flex`, `vulkan`, `cuda` (the latter two need their feature).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "flex" | "cpu" => Ok(Self::Flex),
            #[cfg(feature = "vulkan")]
            "vulkan" => Ok(Self::Vulkan),
            #[cfg(feature = "cuda")]
            "cuda" => Ok(Self::Cuda),
            other => Err(EngineError::InvalidJob(format!(
                "backend {other:?} is not built into this binary"
            ))),
        }
    }

    /// The device.
    pub fn device(self) -> Device {
        match self {
            Self::Flex => Device::flex(),
            #[cfg(feature = "vulkan")]
            Self::Vulkan => Device::vulkan(burn::tensor::DeviceKind::DefaultDevice),
            #[cfg(feature = "cuda")]
            Self::Cuda => Device::cuda(0),
        }
    }

    /// Name recorded in the build identity.
    pub fn name(self) -> &'static str {
        match self {
            Self::Flex => "flex",
            #[cfg(feature = "vulkan")]
            Self::Vulkan => "vulkan",
            #[cfg(feature = "cuda")]
            Self::Cuda => "cuda",
        }
    }
}
