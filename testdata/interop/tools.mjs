// tools.mjs: the independent implementations of airsign's conformance suite
// (cmd/internal/interop, make interop), behind one long-lived node process so
// that the suite pays node's start-up once. It reads one JSON command a line
// on stdin, {"id":1,"op":"…",…}, and answers one JSON line per command,
// {"id":1,"ok":true,"result":…} or {"id":1,"ok":false,"error":"…"}.
//
// Each op uses the library a wallet or coordinator of that kind ships with,
// the way its own documentation shows: what these libraries do with
// airsign's exports, PSBTs and QR streams is the point of the suite, so
// nothing here repairs or reinterprets their results.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

import * as bitcoin from 'bitcoinjs-lib';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import * as scure from '@scure/btc-signer';
import * as descriptors from '@bitcoinerlab/descriptors';
import { UR, UREncoder, URDecoder } from '@ngraveio/bc-ur';
import * as registry from '@keystonehq/bc-ur-registry';
import { splitQRs, joinQRs } from 'bbqr';
import { PsbtV2, getPsbtVersionNumber } from '@caravan/psbt';
import * as caravan from '@caravan/bitcoin';
import { Verifier as BIP322Verifier } from 'bip322-js';

bitcoin.initEccLib(ecc);
const bip32 = BIP32Factory(ecc);
const { Output } = descriptors.DescriptorsFactory(ecc);
const regtest = bitcoin.networks.regtest;
// scure's regtest: bech32 prefix bcrt, testnet's base58 versions.
const scureRegtest = { ...scure.TEST_NETWORK, bech32: 'bcrt' };

// PACKAGES are the libraries whose versions the suite reports.
const PACKAGES = ['bitcoinjs-lib', '@scure/btc-signer', '@bitcoinerlab/descriptors', '@caravan/psbt',
  '@caravan/bitcoin', '@ngraveio/bc-ur', '@keystonehq/bc-ur-registry', 'bbqr', 'bip322-js'];

const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (s) => Uint8Array.from(Buffer.from(s, 'hex'));
const xonly = (pub) => pub.subarray(1, 33);

// parsePath turns "m/84'/1'/0'" or "84h/1h/0h" into BIP32 indexes.
function parsePath(path) {
  return path.replace(/^m\/?/, '').split('/').filter((s) => s !== '').map((s) => {
    const hard = /['h]$/.test(s);
    const n = Number.parseInt(hard ? s.slice(0, -1) : s, 10);
    if (!Number.isInteger(n)) throw new Error(`path step ${s} is not a number`);
    return hard ? n + 0x80000000 : n;
  });
}

// account is the wallet's account key as the command gives it: {xpub,
// fingerprint, path, script}. xpub is a tpub (regtest uses testnet's
// versions).
function accountKey(a) {
  return bip32.fromBase58(a.xpub, regtest);
}

// derivations are what a wallet library writes for a key at branch/index
// below the account.
function keyAt(a, branch, index) {
  const pub = accountKey(a).derive(branch).derive(index).publicKey;
  const path = `${a.path.replace(/^m\/?/, 'm/')}/${branch}/${index}`;
  return { pub, path, fingerprint: unhex(a.fingerprint) };
}

function bitcoinjsPayment(script, pub) {
  switch (script) {
    case 'wpkh': return bitcoin.payments.p2wpkh({ pubkey: pub, network: regtest });
    case 'tr': return bitcoin.payments.p2tr({ internalPubkey: xonly(pub), network: regtest });
    default: throw new Error(`bitcoinjs: script ${script} is not in this suite`);
  }
}

function scurePayment(script, pub) {
  switch (script) {
    case 'wpkh': return scure.p2wpkh(pub, scureRegtest);
    case 'tr': return scure.p2tr(xonly(pub), undefined, scureRegtest);
    default: throw new Error(`scure: script ${script} is not in this suite`);
  }
}

const ops = {
  versions() {
    const out = { node: process.versions.node };
    // Read from node_modules: some packages do not export their package.json.
    for (const p of PACKAGES) out[p] = JSON.parse(readFileSync(new URL(`node_modules/${p}/package.json`, import.meta.url))).version;
    return out;
  },

  // addresses: what a library that imported the account (or, for
  // bitcoinerlab, the descriptor as exported) shows at each branch/index.
  addresses({ tool, account, descriptor, paths }) {
    return paths.map(([branch, index]) => {
      switch (tool) {
        case 'bitcoinjs': return bitcoinjsPayment(account.script, keyAt(account, branch, index).pub).address;
        case 'scure': return scurePayment(account.script, keyAt(account, branch, index).pub).address;
        case 'bitcoinerlab':
          return new Output({ descriptor, change: branch, index, network: regtest }).getAddress();
        default: throw new Error(`addresses: unknown tool ${tool}`);
      }
    });
  },

  // multisigAddresses: the P2WSH sorted-multisig addresses at
  // branch/index of the cosigners' account xpubs (tpubs), as Caravan and
  // bitcoinjs (BIP67 order, p2ms in p2wsh) derive them, or of the
  // descriptor, as bitcoinerlab reads it.
  multisigAddresses({ tool, required, xpubs, descriptor, paths }) {
    return paths.map(([branch, index]) => {
      if (tool === 'bitcoinerlab') return new Output({ descriptor, change: branch, index, network: regtest }).getAddress();
      if (tool === 'bitcoinjs') {
        const pubkeys = xpubs.map((x) => Buffer.from(bip32.fromBase58(x, regtest).derive(branch).derive(index).publicKey))
          .sort(Buffer.compare);
        const redeem = bitcoin.payments.p2ms({ m: required, pubkeys, network: regtest });
        return bitcoin.payments.p2wsh({ redeem, network: regtest }).address;
      }
      if (tool !== 'caravan-btc') throw new Error(`multisigAddresses: unknown tool ${tool}`);
      // Caravan's wallet: a braid per branch, which sorts the keys.
      const braid = caravan.generateBraid(caravan.Network.REGTEST, caravan.P2WSH, xpubs, required, String(branch));
      return caravan.multisigAddress(caravan.deriveMultisigByPath(braid, `m/${branch}/${index}`));
    });
  },

  // createPSBT: the library builds an unsigned PSBT that spends coins of
  // the account to one address, with the BIP32 derivations it writes.
  createPSBT({ tool, account, descriptor, coins, to, amount, sighash, version }) {
    const value = BigInt(amount);
    if (tool === 'bitcoinerlab') {
      const psbt = new bitcoin.Psbt({ network: regtest });
      const finalizers = [];
      for (const c of coins) {
        const out = new Output({ descriptor, change: c.branch, index: c.index, network: regtest });
        finalizers.push(out.updatePsbtAsInput({ psbt, txHex: c.txHex, vout: c.vout }));
      }
      psbt.addOutput({ address: to, value });
      const id = psbt.data.getTransaction ? hex(psbt.data.getTransaction()) : psbt.toBase64();
      pendingFinalizers.set(id, finalizers);
      return psbt.toBase64();
    }
    if (tool === 'scure') {
      const tx = new scure.Transaction({ version: 2 });
      for (const c of coins) {
        const k = keyAt(account, c.branch, c.index);
        const prev = scure.Transaction.fromRaw(unhex(c.txHex), { allowUnknownOutputs: true });
        const pay = scurePayment(account.script, k.pub);
        const input = { txid: prev.id, index: c.vout, witnessUtxo: { script: pay.script, amount: BigInt(c.value) } };
        const origin = { fingerprint: new DataView(k.fingerprint.buffer).getUint32(0), path: parsePath(k.path) };
        if (account.script === 'tr') {
          input.tapInternalKey = xonly(k.pub);
          input.tapBip32Derivation = [[xonly(k.pub), { hashes: [], der: origin }]];
        } else {
          input.nonWitnessUtxo = unhex(c.txHex);
          input.bip32Derivation = [[k.pub, origin]];
        }
        if (sighash) input.sighashType = sighash;
        tx.addInput(input);
      }
      tx.addOutputAddress(to, value, scureRegtest);
      return Buffer.from(tx.toPSBT(version ?? 0)).toString('base64');
    }
    if (tool !== 'bitcoinjs' && tool !== 'caravan-v2') throw new Error(`createPSBT: unknown tool ${tool}`);
    const psbt = new bitcoin.Psbt({ network: regtest });
    for (const c of coins) {
      const k = keyAt(account, c.branch, c.index);
      const prev = bitcoin.Transaction.fromHex(c.txHex);
      const input = { hash: prev.getId(), index: c.vout, witnessUtxo: { script: prev.outs[c.vout].script, value: prev.outs[c.vout].value } };
      if (account.script === 'tr') {
        input.tapInternalKey = xonly(k.pub);
        input.tapBip32Derivation = [{ masterFingerprint: k.fingerprint, path: k.path, pubkey: xonly(k.pub), leafHashes: [] }];
      } else {
        input.nonWitnessUtxo = unhex(c.txHex);
        input.bip32Derivation = [{ masterFingerprint: k.fingerprint, path: k.path, pubkey: k.pub }];
      }
      if (sighash) input.sighashType = sighash;
      psbt.addInput(input);
    }
    psbt.addOutput({ address: to, value });
    if (tool === 'caravan-v2') return PsbtV2.FromV0(psbt.toBase64()).serialize('base64');
    return psbt.toBase64();
  },

  // finalize: the library checks the signatures, finalizes and extracts
  // the network transaction.
  finalize({ tool, psbt }) {
    if (tool === 'scure') {
      const tx = scure.Transaction.fromPSBT(Buffer.from(psbt, 'base64'));
      tx.finalize();
      return tx.hex;
    }
    if (tool === 'caravan-v2') return ops.finalize({ tool: 'bitcoinjs', psbt: new PsbtV2(psbt).toV0('base64') });
    const p = bitcoin.Psbt.fromBase64(psbt, { network: regtest });
    if (tool === 'bitcoinerlab') {
      const unsigned = bitcoin.Psbt.fromBase64(psbt, { network: regtest });
      const finalizers = pendingFinalizers.get(hex(unsigned.data.getTransaction()));
      if (!finalizers) throw new Error('bitcoinerlab: no PSBT of this transaction was made here');
      for (const f of finalizers) f({ psbt: p, validate: true });
      return p.extractTransaction().toHex();
    }
    if (tool !== 'bitcoinjs') throw new Error(`finalize: unknown tool ${tool}`);
    // bitcoinjs hands over 64-byte signatures for both kinds; the key says
    // which (x-only for Schnorr).
    const verify = (pubkey, msghash, signature) => (pubkey.length === 32
      ? ecc.verifySchnorr(msghash, pubkey, signature) : ecc.verify(msghash, pubkey, signature));
    if (!p.validateSignaturesOfAllInputs(verify)) throw new Error('bitcoinjs: a signature does not verify');
    p.finalizeAllInputs();
    return p.extractTransaction().toHex();
  },

  // bsmsKeyRecord: a BIP129 Round 1 key record of the BIP48 key at path
  // of seed, signed as a legacy (BIP137) signed message by that key. No npm
  // package writes BSMS records, so this is BIP129's text with bitcoinjs's
  // and bip32's keys and hashes, as a JavaScript signer would write it.
  bsmsKeyRecord({ seed, path, token, description }) {
    const root = bip32.fromSeed(unhex(seed), regtest);
    const node = root.derivePath(path);
    const key = `[${hex(root.fingerprint)}/${path.replace(/^m\//, '')}]${node.neutered().toBase58()}`;
    const body = ['BSMS 1.0', token, key, description].join('\n');
    return `${body}\n${signMessage(body, node.privateKey)}\n`;
  },

  // bsmsRecord: a signer's BIP129 Round 2 checks of the coordinator's plain
  // descriptor record, with bitcoinerlab reading the descriptor: its own
  // key (xpub) is in it, the path restrictions are receive and change, and
  // the first address is the one the descriptor gives. Answers the
  // addresses at paths.
  bsmsRecord({ record, xpub, paths }) {
    const lines = record.replace(/\r?\n$/, '').split(/\r?\n/);
    if (lines.length !== 4 || lines[0] !== 'BSMS 1.0') throw new Error(`bsms: not a 4-line BSMS 1.0 record: ${JSON.stringify(record.slice(0, 80))}`);
    const [, template, restrictions, first] = lines;
    if (restrictions !== '/0/*,/1/*') throw new Error(`bsms: path restrictions ${restrictions}, not /0/*,/1/*`);
    if (!template.includes(`]${xpub}/**`)) throw new Error('bsms: the record does not hold this signer\'s key');
    const descriptor = template.replaceAll('/**', '/<0;1>/*');
    const at = (change, index) => new Output({ descriptor, change, index, network: regtest }).getAddress();
    if (at(0, 0) !== first) throw new Error(`bsms: the record's first address is ${first}, its descriptor's is ${at(0, 0)}`);
    return paths.map(([branch, index]) => at(branch, index));
  },

  // psbtVersion: the version Caravan's reader sees.
  psbtVersion({ psbt }) {
    return getPsbtVersionNumber(psbt);
  },

  // sign: the library signs every input it holds a key for, from the
  // master key (BIP32 seed given as hex), by the derivations the PSBT carries.
  sign({ tool, psbt, seed }) {
    const root = bip32.fromSeed(unhex(seed), regtest);
    const p = bitcoin.Psbt.fromBase64(psbt, { network: regtest });
    if (tool === 'bitcoinerlab') descriptors.signers.signBIP32({ psbt: p, masterNode: root });
    else if (tool === 'bitcoinjs') p.signAllInputsHD(root);
    else throw new Error(`sign: unknown tool ${tool}`);
    return p.toBase64();
  },

  // xpub: the account key a library's user would export (tpub, fingerprint,
  // path) from a seed.
  xpub({ seed, path }) {
    const root = bip32.fromSeed(unhex(seed), regtest);
    return { xpub: root.derivePath(path).neutered().toBase58(), fingerprint: hex(root.fingerprint), path };
  },

  // urEncode: @ngraveio/bc-ur's encoder, as a wallet animates a payload:
  // every fragment but each third, then mixed (fountain) parts, twice as
  // many as there are fragments and ten more.
  urEncode({ type, payload, maxFragment }) {
    const buf = Buffer.from(payload, 'hex');
    const ur = type === 'bytes' ? UR.fromBuffer(buf) : new UR(new registry.CryptoPSBT(buf).toCBOR(), type);
    const enc = new UREncoder(ur, maxFragment, 0, Math.min(10, maxFragment));
    if (enc.fragmentsLength === 1) return [enc.nextPart()];
    const parts = [];
    for (let i = 0; i < enc.fragmentsLength * 3 + 10; i++) {
      const part = enc.nextPart();
      if (i >= enc.fragmentsLength || i % 3 !== 2) parts.push(part);
    }
    return parts;
  },

  urDecode({ parts }) {
    const dec = new URDecoder();
    let used = 0;
    for (const p of parts) {
      used++;
      dec.receivePart(p);
      if (dec.isComplete()) break;
    }
    if (!dec.isComplete()) throw new Error(`bc-ur: ${parts.length} parts did not complete the message`);
    if (!dec.isSuccess()) throw new Error(`bc-ur: ${dec.resultError()}`);
    const ur = dec.resultUR();
    return { type: ur.type, payload: hex(ur.decodeCBOR()), used };
  },

  bbqrEncode({ payload, fileType, encoding, minVersion, maxVersion }) {
    return splitQRs(unhex(payload), fileType, { encoding, minVersion, maxVersion }).parts;
  },

  bbqrDecode({ parts }) {
    const r = joinQRs(parts);
    return { fileType: r.fileType, encoding: r.encoding, payload: hex(r.raw) };
  },

  // keystoneScripts: the script expressions Keystone's UR registry reads
  // from a ur:crypto-output, outermost first, and the kind of key it takes
  // the rest for.
  keystoneScripts({ parts }) {
    const dec = new registry.URRegistryDecoder();
    for (const p of parts) dec.receivePart(p);
    if (!dec.isSuccess()) throw new Error(`keystone: ${dec.resultError?.() ?? 'incomplete'}`);
    const out = registry.CryptoOutput.fromCBOR(dec.resultUR().cbor);
    const key = out.getHDKey() ? 'hdkey' : out.getECKey() ? 'eckey' : 'multikey';
    return { expressions: out.getScriptExpressions().map((e) => e.getExpression()), key };
  },

  // keystoneOutput: Keystone's UR registry reads a ur:crypto-output (one
  // or more parts) and says the addresses of its key, as a wallet on that
  // registry would.
  keystoneOutput({ parts, paths }) {
    const dec = new registry.URRegistryDecoder();
    for (const p of parts) dec.receivePart(p);
    if (!dec.isSuccess()) throw new Error(`keystone: ${dec.resultError?.() ?? 'incomplete'}`);
    const out = registry.CryptoOutput.fromCBOR(dec.resultUR().cbor);
    const exprs = out.getScriptExpressions().map((e) => e.getExpression());
    const key = out.getHDKey();
    const node = bip32.fromPublicKey(key.getKey(), key.getChainCode(), regtest);
    const children = key.getChildren()?.getComponents() ?? [];
    const script = exprs.includes('tr') ? 'tr' : exprs.includes('wpkh') ? 'wpkh' : exprs.join('/');
    return paths.map(([branch, index]) => {
      // Keystone applies the key's children template with * as the index.
      let n = node;
      const steps = children.length ? children.map((c) => (c.isWildcard() ? index : c.getIndex())) : [branch, index];
      for (const s of steps) n = n.derive(s);
      return bitcoinjsPayment(script, n.publicKey).address;
    });
  },
  // bip322Verify checks a BIP-322 signature (simple or full) of message by
  // address with bip322-js, an implementation independent of airsign's.
  bip322Verify({ address, message, signature }) {
    return BIP322Verifier.verifySignature(address, message, signature);
  },
};

const pendingFinalizers = new Map();

// signMessage is Bitcoin's legacy signed message (BIP137, compressed key,
// header 31 + recovery id) of text by priv, in base64.
function signMessage(text, priv) {
  const msg = Buffer.from(text, 'utf8');
  if (msg.length >= 0xfd) throw new Error('signMessage: messages of 253 bytes or more are not needed here');
  const prefix = Buffer.from('\x18Bitcoin Signed Message:\n', 'latin1');
  const hash = bitcoin.crypto.hash256(Buffer.concat([prefix, Buffer.from([msg.length]), msg]));
  const { signature, recoveryId } = ecc.signRecoverable(hash, priv);
  return Buffer.concat([Buffer.from([31 + recoveryId]), Buffer.from(signature)]).toString('base64');
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let id = null;
  try {
    const cmd = JSON.parse(line);
    id = cmd.id;
    const op = ops[cmd.op];
    if (!op) throw new Error(`unknown op ${cmd.op}`);
    process.stdout.write(`${JSON.stringify({ id, ok: true, result: op(cmd) }, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ id, ok: false, error: String(e?.message ?? e) })}\n`);
  }
});
