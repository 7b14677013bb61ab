#!/usr/bin/env python3
"""Same reference model as impulse-bench (byte LM, d 128, 2 layers, 4 heads,
context 64, batch 16, pre-norm, GELU FFN 4d, AdamW) in plain JAX on CPU, for
the burn/JAX ratio. Installs jax (CPU) from PyPI into a venv next to it.

    python3 worker/bench/jax_bench.py [--steps 20] [--d 128 --layers 2 --heads 4 --ctx 64]
"""
import argparse, json, os, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(HERE, ".venv")


def ensure_jax():
    try:
        import jax  # noqa: F401
        return
    except ImportError:
        pass
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([py, "-m", "pip", "install", "-q", "jax[cpu]"])
    os.execv(py, [py] + sys.argv)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ctx", type=int, default=64)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--json", default="jax_bench.json")
    a = ap.parse_args()
    ensure_jax()
    import jax, jax.numpy as jnp

    d, L, H, T, B, V = a.d, a.layers, a.heads, a.ctx, a.batch, 256
    key = jax.random.PRNGKey(0)

    def dense(k, i, o):
        return {"w": jax.random.uniform(k, (i, o), minval=-1, maxval=1) / jnp.sqrt(i), "b": jnp.zeros(o)}

    def ln():
        return {"g": jnp.ones(d), "b": jnp.zeros(d)}

    ks = jax.random.split(key, 4 + 6 * L)
    p = {"tok": jax.random.uniform(ks[0], (V, d), minval=-.06, maxval=.06),
         "pos": jax.random.uniform(ks[1], (T, d), minval=-.1, maxval=.1),
         "ln": ln(), "head": dense(ks[2], d, V), "layers": []}
    for l in range(L):
        k = ks[4 + 6 * l: 10 + 6 * l]
        p["layers"].append({"q": dense(k[0], d, d), "k": dense(k[1], d, d), "v": dense(k[2], d, d),
                            "o": dense(k[3], d, d), "f1": dense(k[4], d, 4 * d), "f2": dense(k[5], 4 * d, d),
                            "n1": ln(), "n2": ln()})

    def layernorm(x, q):
        m = x.mean(-1, keepdims=True); v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / jnp.sqrt(v + 1e-5) * q["g"] + q["b"]

    def lin(x, q):
        return x @ q["w"] + q["b"]

    mask = jnp.tril(jnp.ones((T, T), bool))

    def forward(p, x):
        h = p["tok"][x] + p["pos"][None]
        for q in p["layers"]:
            z = layernorm(h, q["n1"])
            def heads(t):
                return t.reshape(B, T, H, d // H).transpose(0, 2, 1, 3)
            Q, K, Vv = heads(lin(z, q["q"])), heads(lin(z, q["k"])), heads(lin(z, q["v"]))
            s = Q @ K.transpose(0, 1, 3, 2) / jnp.sqrt(d // H)
            s = jnp.where(mask, s, -1e9)
            att = jax.nn.softmax(s, -1) @ Vv
            h = h + lin(att.transpose(0, 2, 1, 3).reshape(B, T, d), q["o"])
            h = h + lin(jax.nn.gelu(lin(layernorm(h, q["n2"]), q["f1"])), q["f2"])
        return lin(layernorm(h, p["ln"]), p["head"])

    def loss(p, x, y):
        lg = jax.nn.log_softmax(forward(p, x))
        return -jnp.take_along_axis(lg, y[..., None], -1).mean()

    lr, b1, b2, eps, wd = 3e-3, 0.9, 0.999, 1e-8, 0.01

    @jax.jit
    def step(p, m, v, t, x, y):
        g = jax.grad(loss)(p, x, y)
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
        p = jax.tree_util.tree_map(
            lambda w, m, v: w * (1 - lr * wd) - lr * (m / (1 - b1 ** t)) / (jnp.sqrt(v / (1 - b2 ** t)) + eps),
            p, m, v)
        return p, m, v

    m = jax.tree_util.tree_map(jnp.zeros_like, p)
    v = jax.tree_util.tree_map(jnp.zeros_like, p)
    data = jax.random.randint(key, (a.steps + 1, B, T + 1), 0, V)
    p, m, v = step(p, m, v, 1.0, data[0, :, :-1], data[0, :, 1:])
    jax.block_until_ready(p)
    t0 = time.perf_counter()
    for i in range(1, a.steps + 1):
        p, m, v = step(p, m, v, float(i + 1), data[i, :, :-1], data[i, :, 1:])
    jax.block_until_ready(p)
    dt = (time.perf_counter() - t0) / a.steps
    res = {"framework": "jax", "jax": jax.__version__, "d": d, "layers": L, "heads": H, "context": T,
           "batch": B, "step_ms": dt * 1e3, "steps_per_s": 1 / dt, "tokens_per_s": B * T / dt}
    print(json.dumps(res))
    with open(a.json, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
