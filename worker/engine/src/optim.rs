//! The engine's own AdamW (README, "The step function"): one update of
//! every trainable parameter from its gradient and moments, as a pure
//! function, so the optimizer state is ours to hash in canonical order.

use std::collections::BTreeMap;

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::Tensor;

use crate::state::Moments;

/// AdamW hyper-parameters.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamWSettings {
    pub lr: f64,
    pub weight_decay: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

/// One AdamW update of every trainable parameter of `model` (step `i`,
/// 1-based), returning the new model and moments. Frozen parameters are
/// left as they are.
pub fn adamw_update<M: Module>(
    model: M,
    grads: &burn::tensor::Gradients,
    prev: &BTreeMap<String, Moments>,
    opt: &AdamWSettings,
    i: u64,
) -> (M, BTreeMap<String, Moments>) {
    let t = i as i32;
    let mut mapper = AdamW {
        path: Vec::new(),
        grads,
        prev,
        out: BTreeMap::new(),
        lr: opt.lr,
        wd: opt.weight_decay,
        b1: opt.beta1,
        b2: opt.beta2,
        eps: opt.eps,
        bc1: 1.0 - opt.beta1.powi(t),
        bc2: 1.0 - opt.beta2.powi(t),
    };
    let model = model.map(&mut mapper);
    (model, mapper.out)
}

struct AdamW<'a> {
    path: Vec<String>,
    grads: &'a burn::tensor::Gradients,
    prev: &'a BTreeMap<String, Moments>,
    out: BTreeMap<String, Moments>,
    lr: f64,
    wd: f64,
    b1: f64,
    b2: f64,
    eps: f64,
    bc1: f64,
    bc2: f64,
}

impl ModuleMapper for AdamW<'_> {
    fn enter_module(&mut self, name: &str, _c: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _c: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let name = self.path.join(".");
        let (id, p, pm) = param.consume();
        if !p.is_require_grad() {
            // Frozen (LoRA base): unchanged, no optimizer state.
            return Param::from_mapped_value(id, p, pm);
        }
        let dims = p.dims();
        let n: usize = dims.iter().product();
        let g = p
            .grad(self.grads)
            .map(|g| g.reshape([n]))
            .unwrap_or_else(|| Tensor::<1>::zeros([n], &p.device().clone()).without_autodiff());
        let w = p.without_autodiff().reshape([n]);
        let prev = self.prev.get(&name).expect("moments for every parameter");
        let m = prev.m.clone().mul_scalar(self.b1) + g.clone().mul_scalar(1.0 - self.b1);
        let v = prev.v.clone().mul_scalar(self.b2) + g.square().mul_scalar(1.0 - self.b2);
        let m_hat = m.clone().div_scalar(self.bc1);
        let v_hat = v.clone().div_scalar(self.bc2);
        let update = m_hat / v_hat.sqrt().add_scalar(self.eps);
        let w = w.mul_scalar(1.0 - self.lr * self.wd) - update.mul_scalar(self.lr);
        self.out.insert(name, Moments { m, v });
        let w = w.reshape(dims).autodiff().require_grad();
        Param::from_mapped_value(id, w, pm)
    }
}
