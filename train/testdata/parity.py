"""What the encoder parity scripts (NAME_parity.py) share: the network
with random batch norm statistics and its input, and the files osr's
--init parity test reads."""
import sys

import torch
import torch.nn as nn


def start(name, script):
    """Reads OUTDIR HEIGHT WIDTH from the command line and returns OUTDIR,
    torchvision's network NAME (else script()) in evaluation mode with
    random batch norms, a random input, and where the network came from."""
    out, h, w = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.manual_seed(0)
    try:
        import torchvision.models
        net, source = getattr(torchvision.models, name)(), "torchvision"
    except ImportError:
        net, source = script(), "script"
    randomize_norms(net)
    net.eval()
    return out, net, torch.randn(1, 3, h, w), source


def randomize_norms(net):
    """Random statistics and affine parameters, so that evaluation-mode
    batch norm is not the identity."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 2)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)


def write(out, name, net, x, outs, legacy):
    """Writes OUT/NAME.pth (zip format), OUT/NAME_legacy.pth (pre-1.6
    format, of legacy(state dict)), OUT/NAME.onnx (initializers named like
    the state dict), input.bin and features.bin (float32, little endian: x,
    then outs) and shapes.txt (one shape per line)."""
    sd = net.state_dict()
    torch.save(sd, out + "/" + name + ".pth")
    torch.save(legacy(sd), out + "/" + name + "_legacy.pth", _use_new_zipfile_serialization=False)
    # Training mode keeps batch norms apart from the convolutions, so the
    # initializers keep the state dict's names; momentum 0 keeps the
    # export's one forward pass from moving the running statistics.
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 0.0
    torch.onnx.export(net, x, out + "/" + name + ".onnx", training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False)
    x.numpy().astype("<f4").tofile(out + "/input.bin")
    with open(out + "/features.bin", "wb") as f:
        for o in outs:
            f.write(o.numpy().astype("<f4").tobytes())
    with open(out + "/shapes.txt", "w") as f:
        for o in [x] + outs:
            f.write(" ".join(str(d) for d in o.shape) + "\n")
