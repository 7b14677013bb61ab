//! Fixed-point math for the contracts (no floats in the VM). Placeholder: being written.
