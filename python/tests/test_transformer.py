"""The transformer encoder block (examples/transformer): every op on the RTL, the output
bit-exact with the same int8 pipeline on the reference model, close to the float block."""

import seedchip


def test_the_block_is_bit_exact_and_close_to_float(small, example):
    block = example("transformer/block.py")
    r = block.evaluate(small)
    assert r.bit_exact
    assert (r.d_model, r.tokens, r.heads) == (small.cols, small.cols, 2)
    kinds = [o.kind for o in r.ops]
    assert kinds.count("softmax") == 2 and kinds.count("layernorm") == 2 and kinds.count("gelu") == 1
    assert kinds.count("add (as GEMM)") == 2 and kinds.count("fully connected") == 10
    assert r.cycles == sum(o.cycles for o in r.ops) and 0 < r.utilisation < 1
    assert r.cosine > 0.99 and r.max_abs_error < 0.5 * r.output_std


def test_an_odd_width_is_refused(example):
    block = example("transformer/block.py")
    odd = seedchip.Config({"matrix": {"rows": 3, "cols": 3}})
    try:
        block.evaluate(odd)
    except seedchip.ConfigError as e:
        assert "divisible by 2 heads" in str(e)
    else:
        raise AssertionError("a 3-column chip was accepted")
