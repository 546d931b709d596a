#!/usr/bin/env python3
"""recombine.py: independent recovery tool for airsign seed shares.

Written from docs/share-format.md (format version 1) alone, so that shares
can be checked and recombined if airsign is gone. Python 3.9+, stdlib only.

  python3 recombine.py [--wordlist english.txt] SHARE_FILE...
  python3 recombine.py --self-test [--wordlist english.txt]

Each SHARE_FILE holds one share: a custodian's file (share-<i>.txt), bare
BIP39 words, or an AIRSIGN-SHARE: QR text line. The tool checks every share
(CRC-32, header rules), checks they belong together, recombines the entropy by
Lagrange interpolation at x = 0 in GF(2^8), verifies the wallet fingerprint
the shares commit to, and prints the BIP39 mnemonic on stdout. The BIP39
English word list is not bundled: pass the official english.txt (its SHA-256
is checked) or put it next to this script.
"""
import argparse, base64, binascii, hashlib, hmac, os, re, sys, zlib
from itertools import combinations

WORDLIST_SHA256 = "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"
QR_PREFIX = "AIRSIGN-SHARE:"
LENGTHS = (30, 34, 38, 42, 46)  # envelope bytes for 16..32 bytes of entropy


class ShareError(Exception):
    pass


# ---- GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 --------------
def gf_mul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a, b = a << 1, b >> 1
        if a & 0x100:
            a ^= 0x11B
    return r


def gf_inv(a):  # a^254, by square and multiply
    r, e = 1, 254
    while e:
        if e & 1:
            r = gf_mul(r, a)
        a, e = gf_mul(a, a), e >> 1
    return r


def interpolate(points, x):
    """Value at x of the polynomial through points [(x_i, y_i bytes)], bytewise."""
    out = bytearray(len(points[0][1]))
    for i, (xi, yi) in enumerate(points):
        li = 1  # l_i(x) = prod_{m != i} (x + x_m) / (x_i + x_m); minus is plus
        for m, (xm, _) in enumerate(points):
            if m != i:
                li = gf_mul(li, gf_mul(x ^ xm, gf_inv(xi ^ xm)))
        for j, yb in enumerate(yi):
            out[j] ^= gf_mul(li, yb)
    return bytes(out)


# ---- RIPEMD-160 (pure Python; hashlib's is missing under OpenSSL 3) --------
_RL = [list(range(16)), [7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8],
       [3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12],
       [1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2],
       [4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13]]
_RR = [[5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12],
       [6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2],
       [15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13],
       [8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14],
       [12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11]]
_SL = [[11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8],
       [7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12],
       [11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5],
       [11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12],
       [9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6]]
_SR = [[8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6],
       [9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11],
       [9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5],
       [15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8],
       [8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11]]
_KL = [0x00000000, 0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xA953FD4E]
_KR = [0x50A28BE6, 0x5C4DD124, 0x6D703EF3, 0x7A6D76E9, 0x00000000]
_F = [lambda x, y, z: x ^ y ^ z, lambda x, y, z: (x & y) | (~x & z),
      lambda x, y, z: (x | ~y) ^ z, lambda x, y, z: (x & z) | (y & ~z),
      lambda x, y, z: x ^ (y | ~z)]


def ripemd160(data):
    rol = lambda x, n: ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    msg = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + (8 * len(data)).to_bytes(8, "little")
    for off in range(0, len(msg), 64):
        X = [int.from_bytes(msg[off + 4 * i:off + 4 * i + 4], "little") for i in range(16)]
        al, bl, cl, dl, el = h
        ar, br, cr, dr, er = h
        for rnd in range(5):
            for j in range(16):
                t = rol((al + _F[rnd](bl, cl, dl) + X[_RL[rnd][j]] + _KL[rnd]) & 0xFFFFFFFF, _SL[rnd][j]) + el
                al, el, dl, cl, bl = el, dl, rol(cl, 10), bl, t & 0xFFFFFFFF
                t = rol((ar + _F[4 - rnd](br, cr, dr) + X[_RR[rnd][j]] + _KR[rnd]) & 0xFFFFFFFF, _SR[rnd][j]) + er
                ar, er, dr, cr, br = er, dr, rol(cr, 10), br, t & 0xFFFFFFFF
        h = [(h[1] + cl + dr) & 0xFFFFFFFF, (h[2] + dl + er) & 0xFFFFFFFF, (h[3] + el + ar) & 0xFFFFFFFF,
             (h[4] + al + br) & 0xFFFFFFFF, (h[0] + bl + cr) & 0xFFFFFFFF]
    return b"".join(v.to_bytes(4, "little") for v in h)


# ---- secp256k1, BIP39 and BIP32 -------------------------------------------
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def ec_add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and (p1[1] + p2[1]) % P == 0:
        return None
    if p1 == p2:
        lam = 3 * p1[0] * p1[0] * pow(2 * p1[1], -1, P) % P
    else:
        lam = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, P) % P
    x = (lam * lam - p1[0] - p2[0]) % P
    return x, (lam * (p1[0] - x) - p1[1]) % P


def pubkey(k):  # compressed public key of private key k
    r, q = None, G
    while k:
        if k & 1:
            r = ec_add(r, q)
        q, k = ec_add(q, q), k >> 1
    return bytes([2 + (r[1] & 1)]) + r[0].to_bytes(32, "big")


def master_fingerprint(seed):
    I = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    k = int.from_bytes(I[:32], "big")
    if not 0 < k < N:
        raise ShareError("this seed gives an invalid BIP32 master key (I_L is 0 or not below n): "
                         "no wallet can use it, so no share of it is genuine")
    return ripemd160(hashlib.sha256(pubkey(k)).digest())[:4]


def mnemonic(entropy, wl):
    bits = len(entropy) * 8
    n = int.from_bytes(entropy, "big") << (bits // 32) | hashlib.sha256(entropy).digest()[0] >> (8 - bits // 32)
    count = (bits + bits // 32) // 11
    return " ".join(wl[(n >> (11 * (count - 1 - i))) & 2047] for i in range(count))


def wallet_fingerprint(entropy, wl):
    seed = hashlib.pbkdf2_hmac("sha512", mnemonic(entropy, wl).encode(), b"mnemonic", 2048, 64)
    return master_fingerprint(seed)


def load_wordlist(path):
    try:
        data = open(path, "rb").read()
    except OSError as e:
        raise ShareError(f"cannot read the BIP39 word list: {e} (use --wordlist english.txt)")
    if hashlib.sha256(data).hexdigest() != WORDLIST_SHA256:
        raise ShareError(f"{path} is not the BIP39 English word list (SHA-256 differs)")
    return data.decode().split()


# ---- the envelope and its three text forms --------------------------------
# Reading rules: docs/share-format.md, "Reading a share". Whitespace is ASCII
# space, tab, CR and LF only; letters are folded in ASCII only.
WS = " \t\r\n"
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
HUGE = 10**6  # stands for any written number too large to be a position


def ws_split(s):
    return [t for t in re.split(r"[ \t\r\n]+", s) if t]


def lower(s):  # ASCII only: the Kelvin sign is not "k", long s is not "s"
    return s.translate(_LOWER)


def number(digits):  # value of one or more ASCII digits (no int() of 5000 digits)
    return int(digits) if len(digits) <= 6 else HUGE


def parse_envelope(b):  # checks in the documented order: CRC, version, length, length code, fields
    if len(b) < 5:
        raise ShareError(f"{len(b)} bytes long, too short to hold a version and a CRC")
    if zlib.crc32(b[:-4]) != int.from_bytes(b[-4:], "little"):
        raise ShareError("CRC-32 mismatch: the share is damaged or mistyped")
    if b[0] != 1:
        raise ShareError(f"format version {b[0]}, this tool reads version 1")
    if len(b) not in LENGTHS:
        raise ShareError(f"{len(b)} bytes long, no share has that length")
    s = dict(set=b[1:3].hex(), k=(b[3] >> 4) + 1, n=(b[3] & 15) + 1, index=(b[4] >> 4) + 1,
             x=b[5], fp=b[6:10].hex(), y=b[10:-4], L=len(b) - 14, raw=b)
    if 16 + 4 * (b[4] & 15) != s["L"]:
        raise ShareError("its length code disagrees with its length")
    for bad, why in ((s["k"] < 2, "its threshold is below 2"), (s["k"] > s["n"], "its threshold is above its total"),
                     (s["index"] > s["n"], "its index is above its total"), (s["x"] == 0, "its x coordinate is 0")):
        if bad:
            raise ShareError(f"invalid share of set {s['set']}: {why}")
    return s


def word_index(tok, wl, pos):
    low = lower(tok)
    if re.fullmatch(r"[a-z]+", low):
        if low in wl:
            return wl.index(low)
        hits = [i for i, w in enumerate(wl) if len(low) >= 4 and w.startswith(low)]
        if len(hits) == 1:
            return hits[0]
    # the word itself is secret: never echo it
    raise ShareError(f"word {pos} is not a BIP39 English word (nor its first 4+ letters)")


def words_to_bytes(tokens, wl):
    words, pending = [], None
    for tok in tokens:
        m = re.fullmatch(r"([0-9]+)\.(.*)", tok, re.S)
        if m:  # "N." or "N.word": N must be the position of its word
            if pending is not None:
                raise ShareError(f"number {pending}. is not followed by a word")
            num = number(m.group(1))
            if num != len(words) + 1:
                raise ShareError(f"word {len(words) + 1} is numbered {m.group(1)}: a word is missing, doubled or moved")
            if m.group(2):
                words.append(m.group(2))
            else:
                pending = num
        else:
            words.append(tok)
            pending = None
    if pending is not None:
        raise ShareError(f"number {pending}. is not followed by a word")
    if len(words) not in (22, 25, 28, 31, 34):  # first: a missing or extra word shifts every later position
        raise ShareError(f"{len(words)} words, no share has that many")
    idx = [word_index(t, wl, i + 1) for i, t in enumerate(words)]
    nbytes, pad = divmod(11 * len(idx), 8)
    value = 0
    for i in idx:
        value = value << 11 | i

    def envelope(v):  # None unless padding is zero and the CRC matches
        b = (v >> pad).to_bytes(nbytes, "big")
        ok = v & ((1 << pad) - 1) == 0 and zlib.crc32(b[:-4]) == int.from_bytes(b[-4:], "little")
        return b if ok else None

    if envelope(value):
        return envelope(value)
    fixable = [p for p in range(len(idx)) if any(
        envelope(value ^ ((idx[p] ^ r) << (11 * (len(idx) - 1 - p)))) for r in range(2048) if r != idx[p])]
    if len(fixable) == 1:
        raise ShareError(f"checksum (or padding) does not match: word {fixable[0] + 1} looks wrong")
    raise ShareError("checksum (or padding) does not match: check every word and their order")


def is_qr(line):  # a trimmed line starting with the prefix, ASCII case ignored
    return lower(line[:len(QR_PREFIX)]) == lower(QR_PREFIX)


def qr_to_bytes(line):
    """Envelope bytes of a trimmed QR line: base32, either case, no '=' or
    exactly RFC 4648's padding, no inner whitespace, zero leftover bits."""
    text = line[len(QR_PREFIX):]
    body = text.rstrip("=")
    pad = len(text) - len(body)
    err = ShareError(f"the {QR_PREFIX} text is not base32: damaged, or not an airsign share")
    if pad and (len(text) % 8 or pad != -len(body) % 8):
        raise err
    if not re.fullmatch(r"[A-Za-z2-7]*", body) or len(body) % 8 in (1, 3, 6):
        raise err
    body = body.upper()
    b = base64.b32decode(body + "=" * (-len(body) % 8))
    if base64.b32encode(b).decode().rstrip("=") != body:
        raise err  # non-zero leftover bits: a second text for the same share
    return b


def header_kind(line):
    t = [lower(w) for w in ws_split(line)]
    if t[:1] == ["set"]:
        return "set"
    if t[:2] == ["wallet", "fingerprint"]:
        return "fingerprint"
    return None


def check_header(n, line, s):
    """A file's "set" and "wallet fingerprint" lines must agree with its share."""
    t = [lower(w) for w in ws_split(line)]
    hexd = lambda w, d: len(w) == d and re.fullmatch(r"[0-9a-f]+", w)
    dec = lambda w: number(w) if re.fullmatch(r"[0-9]+", w) else None
    malformed = ShareError(f"line {n} of the file starts like a header line but is not "
                           "'set XXXX  share I of N  (any K recombine)' or 'wallet fingerprint XXXXXXXX': "
                           "the file was edited")

    def agree(field, got, want):
        if got != want:
            raise ShareError(f"line {n} of the file says {field} {got}, but the share in it has {field} {want}: "
                             "the file was edited or mixes two shares")

    if header_kind(line) == "fingerprint":
        if len(t) != 3 or not hexd(t[2], 8):
            raise malformed
        return agree("wallet fingerprint", t[2], s["fp"])
    if len(t) != 9 or t[2] != "share" or t[4] != "of" or t[6] != "(any" or t[8] != "recombine)" \
            or not hexd(t[1], 4) or None in (dec(t[3]), dec(t[5]), dec(t[7])):
        raise malformed
    agree("set", t[1], s["set"])
    agree("share number", dec(t[3]), s["index"])
    agree("total", dec(t[5]), s["n"])
    agree("threshold", dec(t[7]), s["k"])


def parse_share(text, wl):
    if text.startswith("\ufeff"):  # a byte order mark from an editor
        text = text[1:]
    lines = [ln.strip(WS) for ln in text.split("\n")]  # LF ends a line; CR is whitespace
    first = next((ln for ln in lines if ln), "")
    file_form = lower(first) == "airsign seed share"
    tokens, qrs, headers = [], [], []
    for n, ln in enumerate(lines, 1):
        if not ln:
            continue
        if is_qr(ln):
            qrs.append(parse_envelope(qr_to_bytes(ln)))
        elif file_form and not re.match(r"[0-9]+\.", ln):
            if header_kind(ln):  # other lines of a file are for people
                headers.append((n, ln))
        else:
            tokens += ws_split(ln)
    for i, q in enumerate(qrs[1:], 2):
        if q["raw"] != qrs[0]["raw"]:
            raise ShareError(f"its first QR line and QR line {i} are not the same share")
    share = qrs[0] if qrs else None
    if tokens:
        share = parse_envelope(words_to_bytes(tokens, wl))
        if qrs and qrs[0]["raw"] != share["raw"]:
            raise ShareError("its words and QR line are not the same share")
    if share is None:
        raise ShareError(f"no share found: expected BIP39 words or a line starting with {QR_PREFIX}")
    for n, ln in headers:
        check_header(n, ln, share)
    return share


# ---- recombining and verifying ---------------------------------------------
def name(s):
    return f"share {s['index']} of set {s['set']}"


def recombine(shares, wl):
    first = shares[0]
    for s in shares:
        if s["set"] != first["set"]:
            raise ShareError(f"{name(s)} is from another set than {name(first)}")
        for field, label in (("k", "threshold"), ("n", "total"), ("fp", "wallet fingerprint"), ("L", "length")):
            if s[field] != first[field]:
                raise ShareError(f"{name(s)} disagrees with {name(first)} on the {label}")
    for a, b in combinations(shares, 2):
        if a["index"] == b["index"]:
            raise ShareError(f"{name(a)} is given twice")
        if a["x"] == b["x"]:
            raise ShareError(f"{name(a)} and {name(b)} have the same x coordinate")
    k = first["k"]
    if len(shares) < k:
        raise ShareError(f"too few shares: {len(shares)} of set {first['set']} given, {k} needed")
    pts = lambda group: [(s["x"], s["y"]) for s in group]
    base = shares[:k]
    if all(interpolate(pts(base), s["x"]) == s["y"] for s in shares[k:]):
        entropy = interpolate(pts(base), 0)
        got = wallet_fingerprint(entropy, wl).hex()
        if got != first["fp"]:
            raise ShareError(f"fingerprint mismatch: the shares recombine to wallet {got}, they commit to "
                             f"{first['fp']}: at least one share is wrong")
        return entropy
    tried = set()  # more than k shares that disagree: find the ones that do not fit
    for group in combinations(shares, k):
        entropy = interpolate(pts(group), 0)
        if entropy in tried or len(tried) >= 200:
            continue
        tried.add(entropy)
        if wallet_fingerprint(entropy, wl).hex() == first["fp"]:
            bad = [name(s) for s in shares if interpolate(pts(group), s["x"]) != s["y"]]
            raise ShareError(f"{', '.join(bad)} do(es) not fit the others; without them the shares recombine "
                             "to the committed wallet fingerprint: rerun without them")
    raise ShareError("the shares do not fit together and no subset matches the wallet fingerprint")


# ---- self-test and main ----------------------------------------------------
EXAMPLE = {  # the worked example of docs/share-format.md
    1: ("017f3a120001 05d027a5 c93be1704a0e4e0bc030573740ca92ec d8db6111",
        "AF7TUEQAAEC5AJ5FZE56C4CKBZHAXQBQK43UBSUS5TMNWYIR",
        "accident what loyal abandon aware trend ozone rice desk argue barely broken thing theme "
        "scout tragic dolphin fee robot random render mass"),
    2: ("017f3a121002 05d027a5 8975dfe59813961f837bb07394982dd2 ef1360e8",
        "AF7TUEQQAIC5AJ5FRF257ZMYCOLB7A33WBZZJGBN2LXRGYHI", None),
    3: ("017f3a122003 05d027a5 404f3c96d618de134b42ed4fd85fb131 6d60f556",
        "AF7TUERAAMC5AJ5FIBHTZFWWDDPBGS2C5VH5QX5RGFWWB5KW", None),
}


def check(ok, what):  # not assert: python -O would skip those
    if not ok:
        raise ShareError(f"self-test FAILED: {what}")


def refused(f, *args):
    try:
        f(*args)
    except ShareError:
        return True
    return False


def self_test(wordlist_path):
    vectors = {b"": "9c1185a5c5e9fc54612808977ee8f548b2258d31", b"a": "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe",
               b"abc": "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc",
               b"message digest": "5d0689ef49d2fae572b881b123a85ffa21595f36",
               b"abcdefghijklmnopqrstuvwxyz": "f71c27109c692c1b56bbdceb5b9d2865b3708dbc",
               b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq": "12a053384a9c0c88e405a06c27dcf49ada62eb2b",
               b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789":
                   "b0e20b6e3116640286ed3a87a5713079b21f5189",
               b"1234567890" * 8: "9b752e45573d4b39f4dbd3323cab82bf63326bfb"}
    for msg, want in vectors.items():
        check(ripemd160(msg).hex() == want, f"RIPEMD-160 of {msg!r}")
    check(gf_mul(0x57, 0x83) == 0xC1 and gf_inv(3) == 0xF6, "GF(2^8) 57*83 = c1, 1/03 = f6")
    check(all(gf_mul(a, gf_inv(a)) == 1 for a in range(1, 256)), "GF(2^8) inverses")
    check(pubkey(1) == bytes.fromhex("02%064x" % G[0]), "secp256k1 1*G")
    check(master_fingerprint(bytes(range(16))).hex() == "3442193e", "BIP32 test vector 1 fingerprint")
    shares = {}
    for i, (hexb, qr, _) in EXAMPLE.items():
        raw = bytes.fromhex(hexb.replace(" ", ""))
        check(zlib.crc32(raw) == 0x2144DF1C, f"example share {i}: CRC residue")
        shares[i] = parse_envelope(raw)
        check(qr_to_bytes(QR_PREFIX + qr) == raw, f"example share {i}: QR text")
        check(qr_to_bytes(QR_PREFIX.lower() + qr.lower()) == raw, f"example share {i}: lowercase QR text")
        check(refused(qr_to_bytes, QR_PREFIX + qr + "=="), f"example share {i}: QR text with wrong padding")
        check(refused(qr_to_bytes, QR_PREFIX + qr[:9] + " " + qr[9:]), f"example share {i}: QR text with a space")
        check(refused(qr_to_bytes, QR_PREFIX + qr.replace("U", "\u016b", 1)), f"example share {i}: non-ASCII QR text")
        check((shares[i]["index"], shares[i]["x"]) == (i, i), f"example share {i}: header")
    # 34 bytes are 55 base32 characters; the last holds 2 bits and 3 leftover bits, which must be zero.
    check(qr_to_bytes(QR_PREFIX + "A" * 54 + "Q=") == bytes(33) + b"\x02", "QR text of 34 bytes")
    check(refused(qr_to_bytes, QR_PREFIX + "A" * 54 + "B"), "QR text with non-zero leftover bits")
    check(refused(qr_to_bytes, QR_PREFIX + "A" * 54 + "Q=="), "QR text with too much padding")
    for a, b in combinations(shares.values(), 2):
        secret = interpolate([(a["x"], a["y"]), (b["x"], b["y"])], 0)
        check(secret == bytes(range(16)), "example: recombining two shares")
    print("self-test: RIPEMD-160, GF(2^8), secp256k1, BIP32, envelope, QR: ok", file=sys.stderr)
    if not os.path.exists(wordlist_path):
        print(f"self-test: {wordlist_path} not found, word checks skipped", file=sys.stderr)
        return
    wl = load_wordlist(wordlist_path)
    check(words_to_bytes(ws_split(EXAMPLE[1][2]), wl) == shares[1]["raw"], "example share 1: words")
    check(parse_share("AIRSIGN SEED SHARE\nset 7f3a share 1 of 3 (any 2 recombine)\n" + QR_PREFIX + EXAMPLE[1][1], wl)
          ["raw"] == shares[1]["raw"], "example share 1: file with only a QR line")
    check(refused(parse_share, "airsign seed share\nset 7f3a share 2 of 3 (any 2 recombine)\n" + QR_PREFIX
                  + EXAMPLE[1][1], wl), "example share 1: file whose header names share 2")
    check(refused(parse_share, EXAMPLE[1][2].replace(" ", "\u00a0"), wl), "words separated by no-break spaces")
    check(mnemonic(bytes(16), wl) == "abandon " * 11 + "about", "BIP39 mnemonic of zero entropy")
    check(mnemonic(bytes(range(16)), wl) == "abandon amount liar amount expire adjust cage candy arch gather "
          "drum buyer", "example mnemonic")
    check(recombine([shares[3], shares[1]], wl) == bytes(range(16)), "example fingerprint 05d027a5")
    print("self-test: word list, words form, worked example with fingerprint 05d027a5: ok", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description="Recombine airsign seed shares (docs/share-format.md).")
    ap.add_argument("--wordlist", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "english.txt"))
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    try:
        if args.self_test:
            return self_test(args.wordlist)
        if not args.files:
            ap.error("give the share files")
        wl = load_wordlist(args.wordlist)
        shares = []
        for path in args.files:
            try:
                with open(path, encoding="utf-8") as f:
                    shares.append(parse_share(f.read(), wl))
            except (OSError, UnicodeDecodeError, ShareError) as e:
                raise ShareError(f"{path}: {e}")
        phrase = mnemonic(recombine(shares, wl), wl)
    except ShareError as e:
        sys.exit(f"recombine: {e}")

    print("WARNING: the line below is the wallet seed. Keep it secret; never type it into a connected device.",
          file=sys.stderr)
    print(phrase)


if __name__ == "__main__":
    main()
