//! The causal transformer language model and the model registry.

use burn::config::Config;
use burn::module::Module;
use burn::nn::attention::generate_autoregressive_mask;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::data::Batch;
use crate::error::EngineError;
use crate::tokenizer::MAX_VOCAB;

/// Configuration of the causal transformer LM.
#[derive(Config, Debug, PartialEq)]
pub struct LmConfig {
    /// Model width.
    pub d_model: usize,
    /// Number of transformer layers.
    pub n_layers: usize,
    /// Number of attention heads (must divide `d_model`).
    pub n_heads: usize,
    /// Context length (tokens per training row).
    pub context: usize,
    /// Feed-forward width.
    #[config(default = 0)]
    pub d_ff: usize,
    /// Vocabulary size: 256 for the byte tokenizer, else the
    /// `tokenizer.json`'s size (the engine sets it for registry models).
    #[config(default = 256)]
    pub vocab: usize,
    /// Dropout probability (re-seeded from (job seed, step) every step).
    #[config(default = 0.1)]
    pub dropout: f64,
}

/// Ids of the built-in model configurations.
pub const MODEL_IDS: &[&str] = &["lm-test", "lm-ref", "lm-large"];

impl LmConfig {
    /// Built-in configuration by id: `lm-test` (tests: d 32, 1 layer, 2
    /// heads, context 16), `lm-ref` (reference: d 128, 2 layers, 4 heads,
    /// context 64), `lm-large` (d 256, 4 layers, 8 heads, context 128).
    pub fn from_id(id: &str) -> std::result::Result<Self, EngineError> {
        Ok(match id {
            "lm-test" => LmConfig::new(32, 1, 2, 16),
            "lm-ref" => LmConfig::new(128, 2, 4, 64),
            "lm-large" => LmConfig::new(256, 4, 8, 128),
            _ => {
                return Err(EngineError::UnknownModel {
                    id: id.to_string(),
                    known: MODEL_IDS.join(", "),
                })
            }
        })
    }

    /// Feed-forward width (4 x d_model when unset).
    pub fn ff(&self) -> usize {
        if self.d_ff == 0 {
            4 * self.d_model
        } else {
            self.d_ff
        }
    }

    /// Checks the shape constraints.
    pub fn validate(&self) -> std::result::Result<(), EngineError> {
        let bad = |m: &str| Err(EngineError::InvalidConfig(m.to_string()));
        if self.d_model == 0 || self.n_layers == 0 || self.n_heads == 0 || self.context == 0 {
            return bad("d_model, n_layers, n_heads and context must be positive");
        }
        if !self.d_model.is_multiple_of(self.n_heads) {
            return bad("n_heads must divide d_model");
        }
        if self.vocab == 0 || self.vocab > MAX_VOCAB {
            return bad("vocab must be in 1..=2^20 (the tokenizer's vocabulary size)");
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad("dropout must be in [0, 1)");
        }
        Ok(())
    }

    /// Number of trainable parameters.
    pub fn num_params(&self) -> u64 {
        let (d, v, t, f, l) = (
            self.d_model as u64,
            self.vocab as u64,
            self.context as u64,
            self.ff() as u64,
            self.n_layers as u64,
        );
        let layer = 4 * (d * d + d) + (d * f + f) + (f * d + d) + 4 * d;
        v * d + t * d + l * layer + 2 * d + d * v + v
    }

    /// Rough upper estimate of training memory in bytes for `batch` rows:
    /// parameters, gradients and two AdamW moments, plus activations kept
    /// for the backward pass.
    pub fn memory_estimate(&self, batch: usize) -> u64 {
        let (b, t, d, f, h, l) = (
            batch as u64,
            self.context as u64,
            self.d_model as u64,
            self.ff() as u64,
            self.n_heads as u64,
            self.n_layers as u64,
        );
        let acts =
            l * (b * t * (12 * d + 3 * f) + 3 * b * h * t * t) + b * t * (self.vocab as u64) * 3;
        4u64.saturating_mul(
            4u64.saturating_mul(self.num_params())
                .saturating_add(2u64.saturating_mul(acts)),
        )
    }

    /// Builds the model (parameters are overwritten by the engine's seeded
    /// initialisation afterwards).
    pub fn init(&self, device: &Device) -> Lm {
        Lm {
            tok_emb: EmbeddingConfig::new(self.vocab, self.d_model).init(device),
            pos_emb: EmbeddingConfig::new(self.context, self.d_model).init(device),
            encoder: TransformerEncoderConfig::new(
                self.d_model,
                self.ff(),
                self.n_heads,
                self.n_layers,
            )
            .with_dropout(self.dropout)
            .with_norm_first(true)
            .init(device),
            norm: LayerNormConfig::new(self.d_model).init(device),
            head: LinearConfig::new(self.d_model, self.vocab).init(device),
        }
    }
}

/// Causal transformer LM (pre-norm encoder stack with a causal mask).
#[derive(Module, Debug)]
pub struct Lm {
    pub tok_emb: Embedding,
    pub pos_emb: Embedding,
    pub encoder: TransformerEncoder,
    pub norm: LayerNorm,
    pub head: Linear,
}

impl Lm {
    /// Logits `[B, T, V]` for token ids `[B, T]`.
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        let device = tokens.device();
        let [b, t] = tokens.dims();
        let pos = Tensor::<1, Int>::arange(0..t as i64, &device)
            .reshape([1, t])
            .repeat_dim(0, b);
        let x = self.tok_emb.forward(tokens) + self.pos_emb.forward(pos);
        let mask = generate_autoregressive_mask(b, t, &device);
        let h = self
            .encoder
            .forward(TransformerEncoderInput::new(x).mask_attn(mask));
        self.head.forward(self.norm.forward(h))
    }

    /// Mean next-token cross-entropy over a batch.
    pub fn loss(&self, batch: &Batch, device: &Device) -> Tensor<1> {
        let (inputs, targets) = batch_tensors(batch, device);
        let logits = self.forward(inputs);
        let [b, t, v] = logits.dims();
        CrossEntropyLossConfig::new()
            .init(device)
            .forward(logits.reshape([b * t, v]), targets.reshape([b * t]))
    }
}

/// Input and target token tensors (`[B, T]` each) of a batch.
pub fn batch_tensors(batch: &Batch, device: &Device) -> (Tensor<2, Int>, Tensor<2, Int>) {
    let ids: Vec<i64> = batch.tokens.iter().map(|&t| i64::from(t)).collect();
    let all = Tensor::<2, Int>::from_data(TensorData::new(ids, [batch.rows, batch.width]), device);
    let t = batch.width - 1;
    let inputs = all.clone().slice([0..batch.rows, 0..t]);
    let targets = all.slice([0..batch.rows, 1..t + 1]);
    (inputs, targets)
}
