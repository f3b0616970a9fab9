"""Golden fixture for the loss-weighting combiners: LibMTL's weighting logic on a small fixed problem.

LibMTL (github.com/median-research-group/LibMTL) @ 4336804847eaa5e0b924b743d76beec7ac3fdc97,
LibMTL/weighting/EW.py, UW.py (Polytask's `form: libmtl`), DWA.py (every step one epoch of LibMTL's trainer), PCGrad.py (Polytask's `scope: shared`), RLW.py, FAMO.py, DB_MTL.py, IMTL.py, CAGrad.py, GradVac.py, GradDrop.py, MGDA.py (rep_grad False, and True for MGDA-UB), Aligned_MTL.py and Nash_MTL.py (with AbsWeighting._compute_grad in backward
mode, _backward_new_grads and _reset_grad from abstract_weighting.py; and the FAMO branch of LibMTL/trainer.py: after each optimizer
step the same batch's losses are recomputed and passed to `update_w`). The `backward` bodies are
ported line by line below (LibMTL itself needs its package context to import). Aligned_MTL's
`torch.symeig(M, eigenvectors=True)` (removed from PyTorch 2) is `torch.linalg.eigh(M)` (the same ascending
eigenvalues and eigenvector columns), and its `torch.finfo().eps` is float32's: LibMTL trains in PyTorch's default
float32, this script in float64.

Problem: input x (6×4) → shared h = tanh(x·W) (W 4×3) → per-task linear head (3×1) → mean squared
error against the task's targets; three tasks, a new fixed batch per step, plain SGD (lr 0.1) on
every parameter. Per step the fixture records the task weights and the shared update W_after − W_before (and, for
DB-MTL, whose weights are gradient scales, the heads' updates too).

CAGrad: LibMTL solves its weights with scipy.optimize.minimize (SLSQP, finite-difference gradients) at
SLSQP's default tolerance (ftol 1e-6), which leaves the weights off the optimum by far more than the
test's 1e-6. The script runs the same call with ftol 1e-16 and an analytic Jacobian, then checks the result
against the exact optimum (the KKT point on the simplex, by Newton's method on each face) and records the
exact one; the two agree to the 1e-8 asserted below (SLSQP at its default tolerance is off by up to 2e-3 here).

GradDrop: LibMTL applies it to the representation gradient (rep_grad=True, the per-sample gradients
multiplied by the sign of the representation and summed over the batch); Polytask has per-parameter
gradients only, so here, as in the TypeScript combiner, the sign-purity drop is applied per element of the
shared parameter's per-task gradients (no input-sign factor). Its uniform draws, and GradVac's task orders
(Python's random.shuffle in LibMTL), come from the mirrored TypeScript generator, seeded per step from
(seed, step) like PCGrad's.

RLW draws its standard normals from the same generator as the TypeScript combiner (mulberry32,
seeded per step from (seed, step), Box–Muller), so both see the same samples; the weighting itself
is LibMTL's `softmax(randn(task_num))`.

Nash-MTL: LibMTL's cvxpy problem solved with ECOS as LibMTL does (pip install cvxpy ecos), each solution
checked against CLARABEL at a tight tolerance (they agree to 1e-7, relative above 1).

Run: python3 scripts/weighting-reference.py   (writes src/__fixtures__/weighting-reference.json)
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
import cvxpy as cp
from scipy.optimize import minimize

torch.set_default_dtype(torch.float64)

LIBMTL_COMMIT = "4336804847eaa5e0b924b743d76beec7ac3fdc97"
TASKS = ["a", "b", "c"]
STEPS = 5
LEARNING_RATE = 0.1


def u32(value):
    return value & 0xFFFFFFFF


def imul(a, b):
    """JavaScript's Math.imul, as a signed 32-bit result."""
    product = (u32(a) * u32(b)) & 0xFFFFFFFF
    return product - 0x100000000 if product >= 0x80000000 else product


def create_random(seed):
    """@polytask/core createRandom (mulberry32)."""
    state = [u32(int(seed))]

    def next_value():
        state[0] = u32(state[0] + 0x6D2B79F5)
        value = state[0]
        value = u32(imul(value ^ (value >> 15), value | 1))
        value = u32(value ^ u32(value + u32(imul(value ^ (value >> 7), value | 61))))
        return u32(value ^ (value >> 14)) / 4294967296

    return next_value


def step_normals(seed, step, count):
    """The RLW combiner's normals for one step: Box–Muller on a generator seeded from (seed, step)."""
    random = create_random(imul(seed + 1, 0x9E3779B1) ^ step)
    normals = []
    for _ in range(count):
        u1 = random()
        u2 = random()
        normals.append(math.sqrt(-2 * math.log(1 - u1)) * math.cos(2 * math.pi * u2))
    return normals


def step_random(seed, step):
    """The per-step generator of the PCGrad, GradVac and GradDrop combiners."""
    return create_random(imul(seed + 1, 0x9E3779B1) ^ step)


def shuffle_in_place(values, random):
    """@polytask/core shuffleInPlace (Fisher-Yates from the end)."""
    for index in range(len(values) - 1, 0, -1):
        other = math.floor(random() * (index + 1))
        values[index], values[other] = values[other], values[index]
    return values


def problem():
    """Fixed initial parameters and batches (simple closed-form values, no RNG)."""
    shared = [[0.3 * math.sin(1.7 * i + 0.9 * j + 0.2) for j in range(3)] for i in range(4)]
    heads = {task: [[0.5 * math.cos(0.8 * k + 1.3 * t + 0.1)] for k in range(3)] for t, task in enumerate(TASKS)}
    batches = []
    for step in range(STEPS):
        x = [[math.sin(0.37 * (r + 1) * (c + 2) + 0.11 * step) for c in range(4)] for r in range(6)]
        # task scales differ (a ≈ 1, b ≈ 3, c ≈ 0.3) so the methods' weights move
        targets = {
            task: [[scale * math.cos(0.53 * (r + 1) + 0.7 * t + 0.05 * step)] for r in range(6)]
            for t, (task, scale) in enumerate(zip(TASKS, [1.0, 3.0, 0.3]))
        }
        batches.append({"x": x, "targets": targets})
    return {"shared": shared, "heads": heads, "batches": batches}


def losses_of(params, batch):
    hidden = torch.tanh(torch.tensor(batch["x"]) @ params["shared"])
    return torch.stack(
        [((hidden @ params["heads"][task] - torch.tensor(batch["targets"][task])) ** 2).mean() for task in TASKS]
    )


def sgd(params):
    with torch.no_grad():
        for tensor in [params["shared"], *params["heads"].values()]:
            tensor -= LEARNING_RATE * tensor.grad
            tensor.grad = None


class EW:
    """LibMTL/weighting/EW.py: the plain sum of the losses."""

    def backward(self, losses, params):
        torch.mul(losses, torch.ones_like(losses)).sum().backward()
        return [1.0] * len(TASKS)

    def weights(self):
        return [1.0] * len(TASKS)


class DWA:
    """LibMTL/weighting/DWA.py with LibMTL's trainer's epoch loss buffer: here every step is one epoch of one
    batch, so train_loss_buffer[:, e] holds step e's losses (before its update)."""

    def __init__(self, T=2.0):
        self.T = T
        self.epoch = 0
        self.buffer = []
        self.batch_weight = [1.0] * len(TASKS)

    def backward(self, losses, params):
        if self.epoch > 1:
            w_i = torch.tensor(self.buffer[self.epoch - 1]) / torch.tensor(self.buffer[self.epoch - 2])
            batch_weight = len(TASKS) * F.softmax(w_i / self.T, dim=-1)
        else:
            batch_weight = torch.ones_like(losses)
        torch.mul(losses, batch_weight).sum().backward()
        self.buffer.append(losses.detach().tolist())
        self.epoch += 1
        self.batch_weight = batch_weight.detach().tolist()
        return self.batch_weight

    def weights(self):
        # the weights the next epoch will use (Polytask's combiner updates them at the epoch's end)
        if self.epoch > 1:
            w_i = torch.tensor(self.buffer[self.epoch - 1]) / torch.tensor(self.buffer[self.epoch - 2])
            return (len(TASKS) * F.softmax(w_i / self.T, dim=-1)).tolist()
        return [1.0] * len(TASKS)


class PCGrad:
    """LibMTL/weighting/PCGrad.py (rep_grad=False): per task its shared gradient projected off each conflicting
    task's original gradient, in a shuffled order of all tasks (itself included), ε 1e-8; the heads keep their
    plain gradients; returns batch_weight. Python's random.shuffle is the mirrored TypeScript generator, seeded per
    step from (seed, step) like GradVac's."""

    def __init__(self, seed=0):
        self.seed = seed
        self.step = 0
        self.batch_weight = [1.0] * len(TASKS)

    def backward(self, losses, params):
        shared = params["shared"]
        grads = compute_grad(losses, shared)
        random = step_random(self.seed, self.step)
        self.step += 1
        batch_weight = np.ones(len(losses))
        pc_grads = grads.clone()
        for tn_i in range(len(TASKS)):
            task_index = shuffle_in_place(list(range(len(TASKS))), random)
            for tn_j in task_index:
                g_ij = torch.dot(pc_grads[tn_i], grads[tn_j])
                if g_ij < 0:
                    pc_grads[tn_i] -= g_ij * grads[tn_j] / (grads[tn_j].norm().pow(2) + 1e-8)
                    batch_weight[tn_j] -= (g_ij / (grads[tn_j].norm().pow(2) + 1e-8)).item()
        new_grads = pc_grads.sum(0)
        shared.grad = new_grads.view(shared.size()).clone()  # _reset_grad
        self.batch_weight = batch_weight.tolist()
        return self.batch_weight

    def weights(self):
        return self.batch_weight


class UW:
    """LibMTL/weighting/UW.py: loss_scale s (a parameter the optimizer trains with the model, from -0.5), the loss
    Σ L_i/(2·e^s_i) + s_i/2; returns 1/(2·e^s)."""

    def __init__(self):
        self.loss_scale = torch.tensor([-0.5] * len(TASKS), requires_grad=True)

    def backward(self, losses, params):
        loss = (losses / (2 * self.loss_scale.exp()) + self.loss_scale / 2).sum()
        loss.backward()
        weights = (1 / (2 * torch.exp(self.loss_scale))).detach().tolist()
        # the loss scales are model parameters: the same SGD step
        with torch.no_grad():
            self.loss_scale -= LEARNING_RATE * self.loss_scale.grad
            self.loss_scale.grad = None
        return weights

    def weights(self):
        return (1 / (2 * torch.exp(self.loss_scale))).detach().tolist()


class RLW:
    """LibMTL/weighting/RLW.py, with the normals of the TypeScript generator."""

    def __init__(self, seed):
        self.seed = seed
        self.step = 0

    def backward(self, losses, params):
        batch_weight = F.softmax(torch.tensor(step_normals(self.seed, self.step, len(TASKS))), dim=-1)
        self.step += 1
        loss = torch.mul(losses, batch_weight).sum()
        loss.backward()
        return batch_weight.detach().tolist()


class FAMO:
    """LibMTL/weighting/FAMO.py (init_param, backward, update_w)."""

    def __init__(self, w_lr=0.025, w_gamma=1e-3):
        self.step = 0
        self.min_losses = torch.zeros(len(TASKS))
        self.w = torch.tensor([0.0] * len(TASKS), requires_grad=True)
        self.w_opt = torch.optim.Adam([self.w], lr=0.0, weight_decay=0.0)
        self.w_lr, self.w_gamma = w_lr, w_gamma

    def backward(self, losses, params):
        self.step += 1
        if self.step == 1:
            for param_group in self.w_opt.param_groups:
                param_group["lr"] = self.w_lr
                param_group["weight_decay"] = self.w_gamma
        self.prev_losses = losses
        z = F.softmax(self.w, -1)
        D = losses - self.min_losses + 1e-8
        c = (z / D).sum().detach()
        loss = (D.log() * z / c).sum()
        loss.backward()
        return z.detach().tolist()

    def update_w(self, curr_losses):
        delta = (self.prev_losses - self.min_losses + 1e-8).log() - (curr_losses - self.min_losses + 1e-8).log()
        with torch.enable_grad():
            d = torch.autograd.grad(F.softmax(self.w, -1), self.w, grad_outputs=delta.detach())[0]
        self.w_opt.zero_grad(set_to_none=False)
        self.w.grad = d
        self.w_opt.step()

    def weights(self):
        return F.softmax(self.w, -1).detach().tolist()


class DB_MTL:
    """LibMTL/weighting/DB_MTL.py (rep_grad=False): per-task backward of the log losses; the heads keep
    those gradients, the shared parameter's gradient is replaced by the balanced sum of the EMA buffers."""

    def __init__(self, beta=0.9, beta_sigma=0.0):
        self.step = 0
        self.beta, self.beta_sigma = beta, beta_sigma
        self.grad_buffer = None

    def backward(self, losses, params):
        self.step += 1
        shared = params["shared"]
        if self.grad_buffer is None:
            self.grad_buffer = torch.zeros(len(TASKS), shared.numel())
        log_losses = torch.log(losses + 1e-8)
        batch_grads = torch.zeros(len(TASKS), shared.numel())
        for tn in range(len(TASKS)):
            log_losses[tn].backward(retain_graph=True) if (tn + 1) != len(TASKS) else log_losses[tn].backward()
            batch_grads[tn] = shared.grad.view(-1)
            shared.grad = None  # zero_grad_share_params
        self.grad_buffer = batch_grads + (self.beta / self.step**self.beta_sigma) * (self.grad_buffer - batch_grads)
        u_grad = self.grad_buffer.norm(dim=-1)
        alpha = u_grad.max() / (u_grad + 1e-8)
        new_grads = sum([alpha[i] * self.grad_buffer[i] for i in range(len(TASKS))])
        shared.grad = new_grads.view(shared.size()).clone()  # _reset_grad
        # LibMTL returns ones; the fixture records the balancing scales alpha, which our combiner reports
        self.alpha = alpha.tolist()
        return self.alpha

    def weights(self):
        return self.alpha


class IMTL:
    """LibMTL/weighting/IMTL.py (rep_grad=False): IMTL-L loss scales (a parameter the optimizer trains with
    the model) and IMTL-G weights alpha on the shared gradients."""

    def __init__(self):
        self.loss_scale = torch.tensor([0.0] * len(TASKS), requires_grad=True)

    def backward(self, losses, params):
        shared = params["shared"]
        losses = self.loss_scale.exp() * losses - self.loss_scale
        grads = torch.zeros(len(TASKS), shared.numel())
        for tn in range(len(TASKS)):
            losses[tn].backward(retain_graph=True) if (tn + 1) != len(TASKS) else losses[tn].backward()
            grads[tn] = shared.grad.view(-1)
            shared.grad = None  # zero_grad_share_params
        grads_unit = grads / torch.norm(grads, p=2, dim=-1, keepdim=True)
        D = grads[0:1].repeat(len(TASKS) - 1, 1) - grads[1:]
        U = grads_unit[0:1].repeat(len(TASKS) - 1, 1) - grads_unit[1:]
        alpha = torch.matmul(torch.matmul(grads[0], U.t()), torch.inverse(torch.matmul(D, U.t())))
        alpha = torch.cat((1 - alpha.sum().unsqueeze(0), alpha), dim=0)
        new_grads = sum([alpha[i] * grads[i] for i in range(len(TASKS))])
        shared.grad = new_grads.view(shared.size()).clone()  # _reset_grad
        # the loss scales are model parameters: the same SGD step
        with torch.no_grad():
            self.loss_scale -= LEARNING_RATE * self.loss_scale.grad
            self.loss_scale.grad = None
        self.alpha = alpha.detach().tolist()
        return self.alpha

    def weights(self):
        return self.alpha


def compute_grad(losses, shared):
    """AbsWeighting._compute_grad(mode='backward'): each task's loss backward; the shared gradient is taken
    out (and zeroed, zero_grad_share_params), the heads' gradients accumulate."""
    grads = torch.zeros(len(TASKS), shared.numel())
    for tn in range(len(TASKS)):
        losses[tn].backward(retain_graph=True) if (tn + 1) != len(TASKS) else losses[tn].backward()
        grads[tn] = shared.grad.view(-1)
        shared.grad = None
    return grads


def simplex_optimum(A, b, c):
    """The exact minimiser of x·A·b + c·sqrt(x·A·x + 1e-8) over the simplex: for every support, Newton's
    method on that face (x_m = 1 − Σ the others), kept when it is a KKT point (positive on the support, no
    smaller gradient off it)."""
    n = len(b)

    def value(x):
        return x @ A @ b + c * math.sqrt(x @ A @ x + 1e-8)

    def gradient_hessian(x):
        s = math.sqrt(x @ A @ x + 1e-8)
        ax = A @ x
        return A @ b + c * ax / s, c * (A / s - np.outer(ax, ax) / s**3)

    for size in range(n, 0, -1):
        for mask in range(1, 1 << n):
            support = [i for i in range(n) if mask >> i & 1]
            if len(support) != size:
                continue
            x = np.zeros(n)
            x[support] = 1 / size
            last, free = support[-1], support[:-1]
            for _ in range(200):
                if np.abs(x).max() > 1e6:  # unbounded on this face's affine hull: no minimiser there
                    break
                g, H = gradient_hessian(x)
                reduced = np.array([g[k] - g[last] for k in free])
                if not free or np.abs(reduced).max() < 1e-15 * max(1.0, np.abs(g).max()):
                    break
                Hr = np.array([[H[k, l] - H[k, last] - H[last, l] + H[last, last] for l in free] for k in free])
                direction = np.linalg.solve(Hr, -reduced)
                full = np.zeros(n)
                full[free] = direction
                full[last] = -direction.sum()
                t = 1.0
                while value(x + t * full) > value(x) + 1e-4 * t * (g @ full) and t > 1e-12:
                    t /= 2
                x = x + t * full
            if np.abs(x).max() > 1e6:
                continue
            g, _ = gradient_hessian(x)
            mu = g[last]
            if all(x[i] > 0 for i in support) and all(g[j] >= mu - 1e-12 * max(1.0, abs(mu)) for j in range(n) if j not in support):
                return x
    raise RuntimeError("no KKT point found")


class CAGrad:
    """LibMTL/weighting/CAGrad.py (rep_grad=False), with SLSQP at a tight tolerance (see the docstring)."""

    def __init__(self, calpha=0.5, rescale=1):
        self.calpha, self.rescale = calpha, rescale
        self.task_num = len(TASKS)
        self.w = [1 / len(TASKS)] * len(TASKS)

    def backward(self, losses, params):
        calpha, rescale = self.calpha, self.rescale
        shared = params["shared"]
        grads = compute_grad(losses, shared)

        GG = torch.matmul(grads, grads.t()).cpu()  # [num_tasks, num_tasks]
        g0_norm = (GG.mean() + 1e-8).sqrt()  # norm of the average gradient

        x_start = np.ones(self.task_num) / self.task_num
        bnds = tuple((0, 1) for x in x_start)
        cons = {"type": "eq", "fun": lambda x: 1 - sum(x)}
        A = GG.numpy()
        b = x_start.copy()
        c = (calpha * g0_norm + 1e-8).item()

        def objfn(x):
            return (x.reshape(1, -1).dot(A).dot(b.reshape(-1, 1)) + c * np.sqrt(x.reshape(1, -1).dot(A).dot(x.reshape(-1, 1)) + 1e-8)).sum()

        def jacobian(x):
            return A.dot(b) + c * A.dot(x) / np.sqrt(x.dot(A).dot(x) + 1e-8)

        res = minimize(objfn, x_start, jac=jacobian, bounds=bnds, constraints=cons, options={"ftol": 1e-16, "maxiter": 1000})
        exact = simplex_optimum(A, b, c)
        assert np.abs(res.x - exact).max() < 1e-8, (res.x, exact)
        w_cpu = exact
        ww = torch.tensor(w_cpu)
        gw = (grads * ww.view(-1, 1)).sum(0)
        gw_norm = gw.norm()
        lmbda = c / (gw_norm + 1e-8)
        g = grads.mean(0) + lmbda * gw
        if rescale == 0:
            new_grads = g
        elif rescale == 1:
            new_grads = g / (1 + calpha**2)
        elif rescale == 2:
            new_grads = g / (1 + calpha)
        else:
            raise ValueError("No support rescale type {}".format(rescale))
        shared.grad = new_grads.view(shared.size()).clone()  # _reset_grad
        self.w = w_cpu.tolist()
        return self.w

    def weights(self):
        return self.w


class GradVac:
    """LibMTL/weighting/GradVac.py (rep_grad=False, GradVac_group_type 0: the whole shared model is one
    group, k_idx = [-1]); random.shuffle is the TypeScript generator's shuffle, seeded from (seed, step)."""

    def __init__(self, beta=0.5, seed=0):
        self.beta, self.seed = beta, seed
        self.task_num = len(TASKS)
        self.step = 0

    def _init_rho(self):
        self.k_idx = [-1]
        self.rho_T = torch.zeros(self.task_num, self.task_num, len(self.k_idx))

    def backward(self, losses, params):
        beta = self.beta
        if self.step == 0:
            self._init_rho()
        shared = params["shared"]
        grads = compute_grad(losses, shared)  # [task_num, grad_dim]
        random = step_random(self.seed, self.step)

        batch_weight = np.ones(len(losses))
        pc_grads = grads.clone()
        for tn_i in range(self.task_num):
            task_index = list(range(self.task_num))
            task_index.remove(tn_i)
            shuffle_in_place(task_index, random)
            for tn_j in task_index:
                for k in range(len(self.k_idx)):
                    beg, end = sum(self.k_idx[:k]), sum(self.k_idx[: k + 1])
                    if end == -1:
                        end = grads.size()[-1]
                    rho_ijk = torch.dot(pc_grads[tn_i, beg:end], grads[tn_j, beg:end]) / (pc_grads[tn_i, beg:end].norm() * grads[tn_j, beg:end].norm() + 1e-8)
                    if rho_ijk < self.rho_T[tn_i, tn_j, k]:
                        w = pc_grads[tn_i, beg:end].norm() * (self.rho_T[tn_i, tn_j, k] * (1 - rho_ijk**2).sqrt() - rho_ijk * (1 - self.rho_T[tn_i, tn_j, k] ** 2).sqrt()) / (grads[tn_j, beg:end].norm() * (1 - self.rho_T[tn_i, tn_j, k] ** 2).sqrt() + 1e-8)
                        pc_grads[tn_i, beg:end] += grads[tn_j, beg:end] * w
                    self.rho_T[tn_i, tn_j, k] = (1 - beta) * self.rho_T[tn_i, tn_j, k] + beta * rho_ijk
        new_grads = pc_grads.sum(0)
        shared.grad = new_grads.view(shared.size()).clone()  # _reset_grad
        self.step += 1
        return batch_weight.tolist()

    def weights(self):
        return [1.0] * self.task_num


class GradDrop:
    """LibMTL/weighting/GradDrop.py, per element of the shared parameter's per-task gradients instead of the
    representation's (so no input-sign factor and no batch sum; see the docstring); torch.rand_like is the
    TypeScript generator's draws, seeded from (seed, step), one per element in order."""

    def __init__(self, leak=0.0, seed=0):
        self.leak, self.seed = leak, seed
        self.task_num = len(TASKS)
        self.step = 0

    def backward(self, losses, params):
        leak = self.leak
        shared = params["shared"]
        grads = compute_grad(losses, shared)  # [task_num, grad_dim]; the heads keep their summed gradients
        P = 0.5 * (1 + grads.sum(0) / (grads.abs().sum(0) + 1e-7))
        random = step_random(self.seed, self.step)
        self.step += 1
        U = torch.tensor([random() for _ in range(P.numel())])
        M = P.gt(U).unsqueeze(0).repeat_interleave(self.task_num, dim=0) * grads.gt(0) + P.lt(U).unsqueeze(0).repeat_interleave(self.task_num, dim=0) * grads.lt(0)
        transformed_grad = grads * (leak + (1 - leak) * M)
        shared.grad = transformed_grad.sum(0).view(shared.size()).clone()
        # LibMTL returns None (every loss weighs 1)
        return [1.0] * self.task_num

    def weights(self):
        return [1.0] * self.task_num


class MGDA:
    """LibMTL/weighting/MGDA.py (rep_grad=False): _find_min_norm_element (Frank–Wolfe, MAX_ITER 250,
    STOP_CRIT 1e-5) on the normalized shared gradients; the shared gradient is Σ sol_i·(normalized g_i)."""

    def __init__(self, mgda_gn="none"):
        self.mgda_gn = mgda_gn

    def _find_min_norm_element(self, grads):
        def _min_norm_element_from2(v1v1, v1v2, v2v2):
            if v1v2 >= v1v1:
                gamma = 0.999
                cost = v1v1
                return gamma, cost
            if v1v2 >= v2v2:
                gamma = 0.001
                cost = v2v2
                return gamma, cost
            gamma = -1.0 * ((v1v2 - v2v2) / (v1v1 + v2v2 - 2 * v1v2))
            cost = v2v2 + gamma * (v1v2 - v2v2)
            return gamma, cost

        def _min_norm_2d(grad_mat):
            dmin = 1e8
            for i in range(grad_mat.size()[0]):
                for j in range(i + 1, grad_mat.size()[0]):
                    c, d = _min_norm_element_from2(grad_mat[i, i], grad_mat[i, j], grad_mat[j, j])
                    if d < dmin:
                        dmin = d
                        sol = [(i, j), c, d]
            return sol

        def _projection2simplex(y):
            m = len(y)
            sorted_y = torch.sort(y, descending=True)[0]
            tmpsum = 0.0
            tmax_f = (torch.sum(y) - 1.0) / m
            for i in range(m - 1):
                tmpsum += sorted_y[i]
                tmax = (tmpsum - 1) / (i + 1.0)
                if tmax > sorted_y[i + 1]:
                    tmax_f = tmax
                    break
            return torch.max(y - tmax_f, torch.zeros(m).to(y.device))

        def _next_point(cur_val, grad, n):
            proj_grad = grad - (torch.sum(grad) / n)
            tm1 = -1.0 * cur_val[proj_grad < 0] / proj_grad[proj_grad < 0]
            tm2 = (1.0 - cur_val[proj_grad > 0]) / (proj_grad[proj_grad > 0])

            skippers = torch.sum(tm1 < 1e-7) + torch.sum(tm2 < 1e-7)  # noqa: F841 (unused in LibMTL too)
            t = torch.ones(1).to(grad.device)
            if (tm1 > 1e-7).sum() > 0:
                t = torch.min(tm1[tm1 > 1e-7])
            if (tm2 > 1e-7).sum() > 0:
                t = torch.min(t, torch.min(tm2[tm2 > 1e-7]))

            next_point = proj_grad * t + cur_val
            next_point = _projection2simplex(next_point)
            return next_point

        MAX_ITER = 250
        STOP_CRIT = 1e-5

        grad_mat = grads.mm(grads.t())
        init_sol = _min_norm_2d(grad_mat)

        n = grads.size()[0]
        sol_vec = torch.zeros(n).to(grads.device)
        sol_vec[init_sol[0][0]] = init_sol[1]
        sol_vec[init_sol[0][1]] = 1 - init_sol[1]

        if n < 3:
            # This is optimal for n=2, so return the solution
            return sol_vec

        iter_count = 0

        while iter_count < MAX_ITER:
            grad_dir = -1.0 * torch.matmul(grad_mat, sol_vec)
            new_point = _next_point(sol_vec, grad_dir, n)

            v1v1 = torch.sum(sol_vec.unsqueeze(1).repeat(1, n) * sol_vec.unsqueeze(0).repeat(n, 1) * grad_mat)
            v1v2 = torch.sum(sol_vec.unsqueeze(1).repeat(1, n) * new_point.unsqueeze(0).repeat(n, 1) * grad_mat)
            v2v2 = torch.sum(new_point.unsqueeze(1).repeat(1, n) * new_point.unsqueeze(0).repeat(n, 1) * grad_mat)

            nc, nd = _min_norm_element_from2(v1v1, v1v2, v2v2)
            new_sol_vec = nc * sol_vec + (1 - nc) * new_point
            change = new_sol_vec - sol_vec
            if torch.sum(torch.abs(change)) < STOP_CRIT:
                return sol_vec
            sol_vec = new_sol_vec
            iter_count += 1
        return sol_vec

    def _gradient_normalizers(self, grads, loss_data, ntype):
        if ntype == "l2":
            gn = grads.pow(2).sum(-1).sqrt()
        elif ntype == "loss":
            gn = loss_data
        elif ntype == "loss+":
            gn = loss_data * grads.pow(2).sum(-1).sqrt()
        elif ntype == "none":
            gn = torch.ones_like(loss_data)
        else:
            raise ValueError("No support normalization type {} for MGDA".format(ntype))
        grads = grads / gn.unsqueeze(1).repeat(1, grads.size()[1])
        return grads

    def backward(self, losses, params):
        shared = params["shared"]
        grads = torch.zeros(len(TASKS), shared.numel())
        for tn in range(len(TASKS)):
            losses[tn].backward(retain_graph=True) if (tn + 1) != len(TASKS) else losses[tn].backward()
            grads[tn] = shared.grad.view(-1)
            shared.grad = None  # zero_grad_share_params
        loss_data = torch.tensor([loss.item() for loss in losses])
        grads = self._gradient_normalizers(grads, loss_data, ntype=self.mgda_gn)  # l2, loss, loss+, none
        sol = self._find_min_norm_element(grads)
        new_grads = sum([sol[i] * grads[i] for i in range(len(TASKS))])  # _backward_new_grads
        shared.grad = new_grads.view(shared.size()).clone()  # _reset_grad
        self.sol = sol.detach().tolist()
        return self.sol

    def weights(self):
        return self.sol


class MGDA_UB(MGDA):
    """LibMTL/weighting/MGDA.py with rep_grad=True (MGDA-UB, hard parameter sharing): the heads run on a detached
    copy of the shared representation per task (LibMTL's rep_tasks), each task's loss backward gives the heads
    their plain gradients and the representation's gradient per_grads[t] ([batch, rep]); the min-norm solve uses
    per_grads summed over the batch (then normalised by mgda_gn), and the shared parameters' gradient is the
    backward of the representation with Σ sol_t·per_grads[t] (unnormalised, as _backward_new_grads does)."""

    def backward(self, losses, params):
        batch = self.batch
        rep = torch.tanh(torch.tensor(batch["x"]) @ params["shared"])
        rep_tasks = {task: rep.detach().clone().requires_grad_(True) for task in TASKS}
        task_losses = [
            ((rep_tasks[task] @ params["heads"][task] - torch.tensor(batch["targets"][task])) ** 2).mean() for task in TASKS
        ]
        per_grads = torch.zeros(len(TASKS), *rep.size())
        for tn, task in enumerate(TASKS):
            task_losses[tn].backward()
            per_grads[tn] = rep_tasks[task].grad.data.clone()
        grads = per_grads.reshape(len(TASKS), rep.size()[0], -1).sum(1)
        loss_data = torch.tensor([loss.item() for loss in losses])
        grads = self._gradient_normalizers(grads, loss_data, ntype=self.mgda_gn)
        sol = self._find_min_norm_element(grads)
        transformed_grad = torch.einsum("i, i... -> ...", sol, per_grads)
        rep.backward(transformed_grad)
        self.sol = sol.detach().tolist()
        return self.sol


class Aligned_MTL:
    """LibMTL/weighting/Aligned_MTL.py (rep_grad=False): the shared gradient is Σ alpha_i·g_i with
    alpha = B.sum(0), B = sqrt(λ_min)·V·Σ^(-1/2)·Vᵀ from the Gram matrix's eigen-decomposition (rank-truncated)."""

    def backward(self, losses, params):
        shared = params["shared"]
        grads = torch.zeros(len(TASKS), shared.numel())
        for tn in range(len(TASKS)):
            losses[tn].backward(retain_graph=True) if (tn + 1) != len(TASKS) else losses[tn].backward()
            grads[tn] = shared.grad.view(-1)
            shared.grad = None  # zero_grad_share_params

        M = torch.matmul(grads, grads.t())  # [num_tasks, num_tasks]
        lmbda, V = torch.linalg.eigh(M)  # torch.symeig(M, eigenvectors=True) in LibMTL
        tol = torch.max(lmbda) * max(M.shape[-2:]) * torch.finfo(torch.float32).eps  # torch.finfo() under float32
        rank = sum(lmbda > tol)

        order = torch.argsort(lmbda, dim=-1, descending=True)
        lmbda, V = lmbda[order][:rank], V[:, order][:, :rank]

        sigma = torch.diag(1 / lmbda.sqrt())
        B = lmbda[-1].sqrt() * ((V @ sigma) @ V.t())
        alpha = B.sum(0)

        new_grads = sum([alpha[i] * grads[i] for i in range(len(TASKS))])  # _backward_new_grads
        shared.grad = new_grads.view(shared.size()).clone()  # _reset_grad
        self.alpha = alpha.detach().tolist()
        return self.alpha

    def weights(self):
        return self.alpha


class Nash_MTL:
    """LibMTL/weighting/Nash_MTL.py (rep_grad=False; the file as of LibMTL 04cf41a, unchanged in what is ported):
    alpha solves G·alpha = 1/alpha by a sequence of convex problems (cvxpy with ECOS, as LibMTL), the loss is
    Σ alpha_i·L_i, and the shared parameters' gradient is clipped to norm max_norm. Each ECOS solution is checked
    against CLARABEL at a tight tolerance (assert below; interior-point solutions of the exponential cone agree
    to about 3e-8 relative). With update_weights_every > 1, LibMTL's off-steps
    multiply the losses by a numpy array and then fail on `.detach()`; here they reuse the last alpha as a tensor."""

    def __init__(self, update_weights_every=1, optim_niter=20, max_norm=1.0):
        self.update_weights_every, self.optim_niter, self.max_norm = update_weights_every, optim_niter, max_norm
        self.task_num = len(TASKS)
        # init_param
        self.step = 0
        self.prvs_alpha_param = None
        self.init_gtg = np.eye(self.task_num)
        self.prvs_alpha = np.ones(self.task_num, dtype=np.float32)
        self.normalization_factor = np.ones((1,))
        self.alpha = [1.0] * self.task_num

    def _stop_criteria(self, gtg, alpha_t):
        return (
            (self.alpha_param.value is None)
            or (np.linalg.norm(gtg @ alpha_t - 1 / (alpha_t + 1e-10)) < 1e-3)
            or (np.linalg.norm(self.alpha_param.value - self.prvs_alpha_param.value) < 1e-6)
        )

    def solve_optimization(self, gtg):
        self.G_param.value = gtg
        self.normalization_factor_param.value = self.normalization_factor
        alpha_t = self.prvs_alpha
        for _ in range(self.optim_niter):
            self.alpha_param.value = alpha_t
            self.prvs_alpha_param.value = alpha_t
            try:
                self.prob.solve(solver=cp.ECOS, warm_start=True, max_iters=100)
            except Exception:
                self.alpha_param.value = self.prvs_alpha_param.value
            if self.alpha_param.value is not None and self.prob.status == cp.OPTIMAL:
                ecos = self.alpha_param.value.copy()
                self.prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, max_iter=500)
                assert (np.abs(self.alpha_param.value - ecos) / np.maximum(1, np.abs(ecos))).max() < 1e-7, (ecos, self.alpha_param.value)
                self.alpha_param.value = ecos
            if self._stop_criteria(gtg, alpha_t):
                break
            alpha_t = self.alpha_param.value
        if alpha_t is not None:
            self.prvs_alpha = alpha_t
        return self.prvs_alpha

    def _calc_phi_alpha_linearization(self):
        G_prvs_alpha = self.G_param @ self.prvs_alpha_param
        prvs_phi_tag = 1 / self.prvs_alpha_param + (1 / G_prvs_alpha) @ self.G_param
        phi_alpha = prvs_phi_tag @ (self.alpha_param - self.prvs_alpha_param)
        return phi_alpha

    def _init_optim_problem(self):
        self.alpha_param = cp.Variable(shape=(self.task_num,), nonneg=True)
        self.prvs_alpha_param = cp.Parameter(shape=(self.task_num,), value=self.prvs_alpha)
        self.G_param = cp.Parameter(shape=(self.task_num, self.task_num), value=self.init_gtg)
        self.normalization_factor_param = cp.Parameter(shape=(1,), value=np.array([1.0]))
        self.phi_alpha = self._calc_phi_alpha_linearization()
        G_alpha = self.G_param @ self.alpha_param
        constraint = []
        for i in range(self.task_num):
            constraint.append(-cp.log(self.alpha_param[i] * self.normalization_factor_param) - cp.log(G_alpha[i]) <= 0)
        obj = cp.Minimize(cp.sum(G_alpha) + self.phi_alpha / self.normalization_factor_param)
        self.prob = cp.Problem(obj, constraint)

    def backward(self, losses, params):
        shared = params["shared"]
        if self.step == 0:
            self._init_optim_problem()
        if (self.step % self.update_weights_every) == 0:
            self.step += 1
            # _compute_grad(losses, mode='autograd')
            grads = torch.stack([torch.autograd.grad(losses[tn], shared, retain_graph=True)[0].view(-1) for tn in range(self.task_num)])
            GTG = torch.mm(grads, grads.t())
            self.normalization_factor = torch.norm(GTG).detach().cpu().numpy().reshape((1,))
            GTG = GTG / self.normalization_factor.item()
            alpha = self.solve_optimization(GTG.cpu().detach().numpy())
            alpha = torch.from_numpy(alpha).to(torch.float32)
        else:
            self.step += 1
            alpha = torch.from_numpy(np.asarray(self.prvs_alpha)).to(torch.float32)
        torch.sum(alpha * losses).backward()
        if self.max_norm > 0:
            torch.nn.utils.clip_grad_norm_([shared], self.max_norm)
        self.alpha = alpha.detach().cpu().numpy().tolist()
        return self.alpha

    def weights(self):
        return self.alpha


def run(method, spec, data):
    params = {
        "shared": torch.tensor(data["shared"], requires_grad=True),
        "heads": {task: torch.tensor(data["heads"][task], requires_grad=True) for task in TASKS},
    }
    steps = []
    for batch in data["batches"]:
        before = params["shared"].detach().clone()
        heads_before = {task: params["heads"][task].detach().clone() for task in TASKS}
        losses = losses_of(params, batch)
        method.batch = batch
        weights = method.backward(losses, params)
        sgd(params)
        if isinstance(method, FAMO):
            with torch.no_grad():
                method.update_w(losses_of(params, batch).detach())
        steps.append(
            {
                "losses": losses.detach().tolist(),
                "weights": weights,
                "weightsAfter": weights if isinstance(method, RLW) else method.weights(),
                "sharedUpdate": (params["shared"].detach() - before).tolist(),
                "headUpdates": {task: (params["heads"][task].detach() - heads_before[task]).tolist() for task in TASKS},
            }
        )
    return {"spec": spec, "steps": steps}


def main():
    data = problem()
    fixture = {
        "libmtlCommit": LIBMTL_COMMIT,
        "tasks": TASKS,
        "learningRate": LEARNING_RATE,
        **data,
        "methods": {
            "ew": run(EW(), {"kind": "sum"}, data),
            "dwa": run(DWA(), {"kind": "dynamic-weight-average"}, data),
            "dwa-cold": run(DWA(T=0.5), {"kind": "dynamic-weight-average", "temperature": 0.5}, data),
            "uw": run(UW(), {"kind": "uncertainty", "form": "libmtl"}, data),
            "pcgrad-shared": run(PCGrad(), {"kind": "pcgrad", "scope": "shared"}, data),
            "pcgrad-shared-seeded": run(PCGrad(seed=11), {"kind": "pcgrad", "scope": "shared", "seed": 11}, data),
            "rlw": run(RLW(seed=7), {"kind": "random-loss-weighting", "seed": 7}, data),
            "famo": run(FAMO(), {"kind": "famo"}, data),
            "famo-fast": run(FAMO(w_lr=0.5, w_gamma=0.01), {"kind": "famo", "learningRate": 0.5, "weightDecay": 0.01}, data),
            "db-mtl": run(DB_MTL(), {"kind": "db-mtl"}, data),
            "imtl": run(IMTL(), {"kind": "imtl"}, data),
            "db-mtl-decaying": run(DB_MTL(beta=0.6, beta_sigma=0.5), {"kind": "db-mtl", "beta": 0.6, "betaSigma": 0.5}, data),
            "cagrad": run(CAGrad(), {"kind": "cagrad"}, data),
            "cagrad-strong": run(CAGrad(calpha=0.9, rescale=2), {"kind": "cagrad", "calpha": 0.9, "rescale": 2}, data),
            "cagrad-unscaled": run(CAGrad(calpha=0.2, rescale=0), {"kind": "cagrad", "calpha": 0.2, "rescale": 0}, data),
            # a wide ball: the optimum lies inside the simplex (every weight positive) from step 2
            "cagrad-wide": run(CAGrad(calpha=100), {"kind": "cagrad", "calpha": 100}, data),
            "gradvac": run(GradVac(), {"kind": "gradvac"}, data),
            "gradvac-slow": run(GradVac(beta=0.1, seed=5), {"kind": "gradvac", "beta": 0.1, "seed": 5}, data),
            "graddrop": run(GradDrop(), {"kind": "graddrop"}, data),
            "graddrop-leaky": run(GradDrop(leak=0.3, seed=3), {"kind": "graddrop", "leak": 0.3, "seed": 3}, data),
            "mgda": run(MGDA(), {"kind": "mgda"}, data),
            "mgda-l2": run(MGDA("l2"), {"kind": "mgda", "gradientNormalization": "l2"}, data),
            "mgda-loss": run(MGDA("loss"), {"kind": "mgda", "gradientNormalization": "loss"}, data),
            "mgda-loss+": run(MGDA("loss+"), {"kind": "mgda", "gradientNormalization": "loss+"}, data),
            "mgda-ub": run(MGDA_UB(), {"kind": "mgda-ub"}, data),
            "mgda-ub-l2": run(MGDA_UB("l2"), {"kind": "mgda-ub", "gradientNormalization": "l2"}, data),
            "aligned-mtl": run(Aligned_MTL(), {"kind": "aligned-mtl"}, data),
            "nash-mtl": run(Nash_MTL(), {"kind": "nash-mtl"}, data),
            "nash-mtl-unclipped": run(Nash_MTL(max_norm=0.0, optim_niter=5), {"kind": "nash-mtl", "maxNorm": 0, "optimizationIterations": 5}, data),
            "nash-mtl-every-2": run(Nash_MTL(update_weights_every=2), {"kind": "nash-mtl", "updateWeightsEvery": 2}, data),
        },
    }
    target = os.path.join(os.path.dirname(__file__), "..", "src", "__fixtures__", "weighting-reference.json")
    with open(target, "w") as file:
        json.dump(fixture, file, indent=1)
        file.write("\n")


if __name__ == "__main__":
    main()
