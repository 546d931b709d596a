package webauthn

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"testing"
)

// The test vectors of W3C Web Authentication Level 3, §16 "Test Vectors"
// (https://w3c.github.io/webauthn/#sctn-test-vectors), for the credential
// kinds airsign accepts: registration (attestationObject) and
// authentication (authenticatorData, clientDataJSON, signature)
// ceremonies on the RP ID example.org, origin https://example.org.
//
// Every random value in them is HKDF-SHA-256 of the input key material
// 'WebAuthn test vectors' with a one-byte salt and the vector's name as
// info, and ECDSA signatures use RFC 6979 nonces, so the test re-derives
// the challenges, keys, AAGUIDs and credential IDs and re-makes the
// signatures: a mistake in copying the bytes would show.
type specVector struct {
	section, info string
	// HKDF salts of the values.
	saltRegChallenge, saltKey, saltAAGUID, saltCredID, saltAuthChallenge byte
	credIDLen                                                            int

	regChallenge, key, aaguid, credID string
	regClientData, attestationObject  string
	regFlags                          byte

	authChallenge, authData, clientData, signature string

	want error // of Verify with Expect{RPID: "example.org", Challenge: authChallenge}
}

var specVectors = []specVector{{
	section: "16.2 ES256 credential with no attestation", info: "none.ES256",
	saltRegChallenge: 0, saltKey: 1, saltAAGUID: 4, saltCredID: 5, saltAuthChallenge: 7, credIDLen: 32,
	regChallenge:      "00c30fb78531c464d2b6771dab8d7b603c01162f2fa486bea70f283ae556e130",
	key:               "6e68e7a58484a3264f66b77f5d6dc5bc36a47085b615c9727ab334e8c369c2ee",
	aaguid:            "8446ccb9ab1db374750b2367ff6f3a1f",
	credID:            "f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4",
	regClientData:     "7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a22414d4d507434557878475453746e63647134313759447742466938767049612d7077386f4f755657345441222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a20426b5165446a646354427258426941774a544c453551227d",
	attestationObject: "a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b559000000008446ccb9ab1db374750b2367ff6f3a1f0020f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220",
	regFlags:          FlagAT | FlagBS | FlagBE | FlagUP,
	authChallenge:     "39c0e7521417ba54d43e8dc95174f423dee9bf3cd804ff6d65c857c9abf4d408",
	authData:          "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000",
	clientData:        "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a224f63446e55685158756c5455506f334a5558543049393770767a7a59425039745a63685879617630314167222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d",
	signature:         "3046022100f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd380221008480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87",
}, {
	section: "16.3 ES256 credential with self attestation", info: "packed-self.ES256",
	saltRegChallenge: 0, saltKey: 1, saltAAGUID: 4, saltCredID: 5, saltAuthChallenge: 7, credIDLen: 32,
	regChallenge:      "7869c2b772d4b58eba9378cf8f29e26cf935aa77df0da89fa99c0bdc0a76f7e5",
	key:               "b4bbfa5d68e1693b6ef5a19a0e60ef7ee2cbcac81f7fec7006ac3a21e0c5116a",
	aaguid:            "df850e09db6afbdfab51697791506cfc",
	credID:            "455ef34e2043a87db3d4afeb39bbcb6cc32df9347c789a865ecdca129cbef58c",
	regClientData:     "7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a2265476e4374334c55745936366b336a506a796e6962506b31716e666644616966715a774c33417032392d55222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a205539685458764b453255526b4d6e625f307859485667227d",
	attestationObject: "a363666d74667061636b65646761747453746d74a263616c672663736967584630440220067a20754ab925005dbf378097c92120031581c73228d1fb4f5b881bcd7da98302207fc7b147558c7c0eba3af18bd9d121fa3d3a26d17fe3f220272178f473b6006d68617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b55d00000000df850e09db6afbdfab51697791506cfc0020455ef34e2043a87db3d4afeb39bbcb6cc32df9347c789a865ecdca129cbef58ca5010203262001215820eb151c8176b225cc651559fecf07af450fd85802046656b34c18f6cf193843c5225820927b8aa427a2be1b8834d233a2d34f61f13bfd44119c325d5896e183fee484f2",
	regFlags:          FlagAT | FlagBS | FlagBE | FlagUV | FlagUP,
	authChallenge:     "4478a10b1352348dd160c1353b0d469b5db19eb91c27f7dfa6fed39fe26af20b",
	authData:          "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50900000000",
	clientData:        "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a225248696843784e534e493352594d45314f7731476d3132786e726b634a5f6666707637546e2d4a71386773222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a206754623533727a36456853576f6d58477a696d433151227d",
	signature:         "304402203310b9431903c401f1be2bdc8d23a4007682dbbddcf846994947b7f465daf84002204e94dd00047b316061b3b99772b7efd95994a83ef584b3b6b825ea3550251b66",
}, {
	section: `16.4 ES256 credential with "crossOrigin": true`, info: "none.ES256.crossOrigin",
	saltRegChallenge: 0, saltKey: 1, saltAAGUID: 4, saltCredID: 5, saltAuthChallenge: 7, credIDLen: 32,
	regChallenge:      "3be5aacd03537142472340ab5969f240f1d87716e20b6807ac230655fa4b3b49",
	key:               "96c940e769bd9f1237c119f144fa61a4d56af0b3289685ae2bef7fb89620623d",
	aaguid:            "883f4f6014f19c09d87aa38123be48d0",
	credID:            "6e1050c0d2ca2f07c755cb2c66a74c64fa43065c18f938354d9915db2bd5ce57",
	attestationObject: "a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b54500000000883f4f6014f19c09d87aa38123be48d000206e1050c0d2ca2f07c755cb2c66a74c64fa43065c18f938354d9915db2bd5ce57a501020326200121582022200a473f90b11078851550d03b4e44a2279f8c4eca27b3153dedfe03e4e97d225820cbd0be95e746ad6f5a8191be11756e4c0420e72f65b466d39bc56b8b123a9c6e",
	regFlags:          FlagAT | FlagUV | FlagUP,
	authChallenge:     "876aa517ba83fdee65fcffdbca4c84eeae5d54f8041a1fc85c991e5bbb273137",
	authData:          "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50500000000",
	clientData:        "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a226832716c463771445f65356c5f505f62796b7945377135645650674547685f49584a6b655737736e4d5463222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a747275652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a2039327063545644304162792d713464746d6a36656667227d",
	signature:         "3046022100eb12fcf23b12764c0f122e22371fab92e283879fd798f38ee1841c951b6e40e7022100c76237ff9db77b3c56f30837cda6a09acfa2e915544e609c0733b1184036d1cf",
	want:              ErrOrigin, // airsign refuses approvals made inside another site's frame
}, {
	section: `16.5 ES256 credential with "topOrigin"`, info: "none.ES256.topOrigin",
	saltRegChallenge: 0, saltKey: 1, saltAAGUID: 3, saltCredID: 4, saltAuthChallenge: 6, credIDLen: 32,
	regChallenge:      "4e1f4c6198699e33c14f192153f49d7e0e8e3577d5ac416c5f3adc92a41f27e5",
	key:               "a2d6de40ab974b80d8c1ef78c6d4300097754f7e016afe7f8ea0ad9798b0d420",
	aaguid:            "97586fd09799a76401c200455099ef2a",
	credID:            "b8ad59b996047ab18e2ceb57206c362da57458793481f4a8ebf101c7ca7cc0f1",
	attestationObject: "a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b5410000000097586fd09799a76401c200455099ef2a0020b8ad59b996047ab18e2ceb57206c362da57458793481f4a8ebf101c7ca7cc0f1a5010203262001215820a1c47c1d82da4ebe82cd72207102b380670701993bc35398ae2e5726427fe01d22582086c1080d82987028c7f54ecb1b01185de243b359294a0ed210cd47480f0adc88",
	regFlags:          FlagAT | FlagUP,
	authChallenge:     "d54a5c8ca4b62a8e3bb321e3b2bc73856f85a10150db2939ac195739eb1ea066",
	authData:          "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50500000000",
	clientData:        "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a22315570636a4b53324b6f34377379486a7372787a68572d466f51465132796b3572426c584f6573656f4759222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a747275652c22746f704f726967696e223a2268747470733a2f2f6578616d706c652e636f6d222c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a205569466f4a4d56525148444146574669347678557051227d",
	signature:         "3045022100b5a70c81780d5fcc9a4f2ae9caae99058f8accaf58b91fb59329646c28ac6ffc022012e101c165db3c8e9957f0c54dd6ca9b56bc3bd2f280bd2faa6c1d02c6e5c171",
	want:              ErrOrigin,
}, {
	section: "16.6 ES256 credential with a very long credential ID", info: "none.ES256.long-credential-id",
	saltRegChallenge: 0, saltKey: 1, saltAAGUID: 3, saltCredID: 4, saltAuthChallenge: 6, credIDLen: 1023,
	regChallenge: "1113c7265ccf5e65124282fa1d7819a7a14cb8539aa4cdbec7487e5f35d8ec6c",
	key:          "6fd2149bb5f1597fe549b138794bde61893b2dc32ca316de65f04808dac211dc",
	aaguid:       "8f3360c2cd1b0ac14ffe0795c5d2638e",
	// The 1023-byte credential ID is its HKDF derivation; the spec's
	// starts and ends so:
	credID: "3a761a4e1674ad6c4305869435c0eee9c286172c229bb91b48b4ada140c08634…ef0e1a12c3ad604ff15d766b1624db6a5a7ccbff7bc35c9908df94aba277e0af48f04ff3d16381c47e5a37ed3988a67a3b1ecaa926336b33391fff04128f869991c9fabd905b6fe3ceef5f8b630ec1c5d2636d5b1961ad5ca5004170f6f5e482792aad989b0287fe91e5c479403397152f1fa56aa79b156eb47e6c8ea3eb175c34cfb38ad8e772874639b1023d4d01395c94e55831671cc022aa6fa1e02a02c2e4abc776f6960e51f83b71a8c0f207b6a347573977812c9aa5480b0011aa739bd4b76c18c000cc4757cceccb920f007c40c00e37e5ab21476cd9f6054a8fffb55a108f5c706e2cea2049d81fd321ff47d2a5761b0800955ab1d4f4889f55a84e2601c684f17a4ade7453ea49591d0b59c8d9a765052f62219cf6ef4a5dd9539f0617d6ebbebce7c000455475d18449e25c49ef9a1e3efe18c09082ebe2058d7c347defaa92f0664553b805c7d76bbfce5f330aca220ac90a789380fc479ea0d8793205813cca590a912f699ad52f991a1bc0a503c3ec4b2a696719e3c26591a87127f7305cc7e72f4c8e39355ebb06a5b1042990f38710ee7aa612ee4374bb82e878585a70a96c2a6b47f101a4ff154be4fd76a3167577a5cc54d9167c154c69ac35485e44cc898b719e1be3cc9c0fb5624b8f8a0dae10947a41bf848b6c1bb33d1006ec077d7e286e3f2a7b4843716390119449fe2721e81a5ed2333d331c7120765da58fadae73c19d9a8c4509cf8ac1e9d98b799a5274509069739b5823f3fb496663820033426988eefca53e580e0f9e0dfe0992fc2e53a97e053639f98577058f995bdbd41cefdb",
	// The spec's attestationObject, with the credential ID written as
	// {credID}: the test puts it in.
	attestationObject: "a363666d74646e6f6e656761747453746d74a0686175746844617461590483bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b549000000008f3360c2cd1b0ac14ffe0795c5d2638e03ff{credID}a50102032620012158203b8176b7504489cc593046d7988abb7905a742de6ac2cdc748a873c663e90cb12258201436d5edc9a75f23999eef9d5950a5c2455514ee1014084720f841a06b828a11",
	regFlags:          FlagAT | FlagBE | FlagUP,
	authChallenge:     "ef1deba56dce48f674a447ccf63b9599258ce87648e5c396f2ef0ca1da460e3b",
	authData:          "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50d00000000",
	clientData:        "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a22377833727057334f53505a307045664d396a75566d53574d36485a4935634f573875384d6f647047446a73222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d",
	signature:         "304502203ecef83fb12a0cae7841055f9f87103a99fd14b424194bbf06c4623d3ee6e3fd022100d2ace346db262b1374a6b70faa51f518a42ddca13a4125ce6f5052a75bac9fb6",
}, {
	section: "16.11 Packed attestation with an Ed25519 credential", info: "packed.EdDSA",
	saltRegChallenge: 0, saltKey: 1, saltAAGUID: 4, saltCredID: 5, saltAuthChallenge: 9, credIDLen: 32,
	regChallenge:      "a8abf9dabdc6b0df63466b39bda9e8a34a34e185337a59f1c579990676d3b3bd",
	key:               "971f38c0f73aaf0c5a614eb5e26430ae1ea0ed13e4f425d96e9662349340b0b3",
	aaguid:            "d5aa33581e8ca478e20fe713f5d32ff2",
	credID:            "ce9f840ed96599580cd140fbc7bb3230633f50f61041aff73308ae71caa8a2bd",
	regClientData:     "7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a22714b763532723347734e396a526d733576616e6f6f306f303459557a656c6e7878586d5a426e6254733730222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a20425f44543567375a445f2d394f544c59583549764551227d",
	attestationObject: "a363666d74667061636b65646761747453746d74a363616c67266373696758483046022100d83f60bd80269537583218858aefb03ac57d45fa06e42feaae332d187f62da9f022100a02bd3cb6f7e1d283c93bad1f3f4b5a4c0494463da7fdbf256949116754d1f17637835638159022730820223308201c8a003020102021100b2cfc9ea33c8643b0e1a760463eaf164300a06082a8648ce3d0403023062311e301c06035504030c15576562417574686e207465737420766563746f7273310c300a060355040a0c0357334331253023060355040b0c1c41757468656e74696361746f72204174746573746174696f6e204341310b30090603550406130241413020170d3234303130313030303030305a180f33303234303130313030303030305a305f311e301c06035504030c15576562417574686e207465737420766563746f7273310c300a060355040a0c0357334331223020060355040b0c1941757468656e74696361746f72204174746573746174696f6e310b30090603550406130241413059301306072a8648ce3d020106082a8648ce3d03010703420004dd2b7a564b73b8c0b81c4c62e521925c4d1198ec9f583dbf1eebe364b65cd9c29a9bdf346aaa81fb6b9507e5249a52fdaf8e39e26b0b7dc45992a7e233b70f70a360305e300c0603551d130101ff04023000300e0603551d0f0101ff040403020780301d0603551d0e041604140ae27546bc7eccb1b4b597bd354f0c0b1f1f8f8e301f0603551d2304183016801445aff715b0dd786741fee996ebc16547a3931b1e300a06082a8648ce3d0403020349003046022100a0d434ecb5fc3bfd7da5f41904517ad2836249f561bd834ba7a438a8ab7a4ce8022100fac845bb7a02513b58e9f319654dbe49b0f02b95835bac568c71f8a18cdde9ab6861757468446174615881bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b54100000000d5aa33581e8ca478e20fe713f5d32ff20020ce9f840ed96599580cd140fbc7bb3230633f50f61041aff73308ae71caa8a2bda401010327200621582044e06ddd331c36a8dc667bab52bcae63486c916aa5e339e6acebaa84934bf832",
	regFlags:          FlagAT | FlagUP,
	authChallenge:     "895957e01c633a698348a2d8a31a54b7db27e8c1c43b2080d79ae2190267bfd2",
	authData:          "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50100000000",
	clientData:        "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a2269566c583442786a4f6d6d44534b4c596f7870557439736e364d48454f7943413135726947514a6e763949222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d",
	signature:         "f5c59c7e46c34f6f8cc197101ddf9934fa2595f68eb1913a637e8419eb9ba4cfdfc48f85393bc0d40b011f0d6fecb097d6607525713223a0dc0d453993dae00b",
}}

func specDerive(t *testing.T, salt byte, info string, n int) []byte {
	t.Helper()
	b, err := hkdf.Key(sha256.New, []byte("WebAuthn test vectors"), []byte{salt}, info, n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSpecVectors(t *testing.T) {
	exampleOrg := sha256.Sum256([]byte("example.org"))
	for _, v := range specVectors {
		t.Run(v.section, func(t *testing.T) {
			// The values are the spec's derivations.
			derived := map[string][]byte{
				"registration challenge":   specDerive(t, v.saltRegChallenge, v.info, 32),
				"credential private key":   specDerive(t, v.saltKey, v.info, 32),
				"AAGUID":                   specDerive(t, v.saltAAGUID, v.info, 16),
				"authentication challenge": specDerive(t, v.saltAuthChallenge, v.info, 32),
			}
			given := map[string]string{
				"registration challenge": v.regChallenge, "credential private key": v.key,
				"AAGUID": v.aaguid, "authentication challenge": v.authChallenge,
			}
			for name, d := range derived {
				if got := mustHex(t, given[name]); !bytes.Equal(got, d) {
					t.Errorf("%s: got %x, want the derived %x", name, got, d)
				}
			}
			credID := specDerive(t, v.saltCredID, v.info, v.credIDLen)
			attObjHex := v.attestationObject
			if head, tail, long := strings.Cut(v.credID, "…"); long {
				got := hex.EncodeToString(credID)
				if got[:len(head)] != head || got[len(got)-len(tail):] != tail {
					t.Fatalf("the derived credential ID %s does not start and end as the spec's", got)
				}
				attObjHex = strings.Replace(attObjHex, "{credID}", got, 1)
			} else if !bytes.Equal(mustHex(t, v.credID), credID) {
				t.Errorf("credential ID: got %s, want the derived %x", v.credID, credID)
			}

			// Registration.
			reg, err := ParseAttestationObject(mustHex(t, attObjHex))
			if err != nil {
				t.Fatalf("ParseAttestationObject: %v", err)
			}
			if reg.RPIDHash != exampleOrg || reg.Flags != v.regFlags || reg.SignCount != 0 ||
				hex.EncodeToString(reg.AAGUID[:]) != v.aaguid || !bytes.Equal(reg.CredentialID, credID) {
				t.Errorf("registration: got RP ID hash %x, flags %02x, count %d, AAGUID %x, credential ID of %d bytes",
					reg.RPIDHash, reg.Flags, reg.SignCount, reg.AAGUID, len(reg.CredentialID))
			}
			key := *reg.Key
			// The key is the private key's, and its canonical encoding is
			// the very bytes the authenticator sent.
			var signer func([]byte) []byte
			if key.Alg() == EdDSA {
				priv := ed25519.NewKeyFromSeed(mustHex(t, v.key))
				if want, _ := KeyFromEd25519(priv.Public().(ed25519.PublicKey)); !key.Equal(want) {
					t.Errorf("the registered key %v is not the private key's %v", key, want)
				}
				signer = func(msg []byte) []byte { return ed25519.Sign(priv, msg) }
			} else {
				priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), mustHex(t, v.key))
				if err != nil {
					t.Fatal(err)
				}
				if want, _ := KeyFromECDSA(&priv.PublicKey); !key.Equal(want) {
					t.Errorf("the registered key %v is not the private key's %v", key, want)
				}
				signer = func(msg []byte) []byte {
					d := sha256.Sum256(msg)
					sig, err := priv.Sign(nil, d[:], crypto.SHA256) // RFC 6979
					if err != nil {
						t.Fatal(err)
					}
					return sig
				}
			}
			if obj := mustHex(t, attObjHex); !bytes.Contains(obj, key.COSE()) || !bytes.HasSuffix(obj, key.COSE()) {
				t.Errorf("COSE(): got %x, want the bytes at the end of the spec's authData", key.COSE())
			}
			if v.regClientData != "" {
				cd, err := parseClientData(mustHex(t, v.regClientData))
				if err != nil || cd.typ != "webauthn.create" || cd.origin != "https://example.org" || cd.crossOrigin || cd.hasTopOrigin {
					t.Errorf("registration client data: got %+v, %v", cd, err)
				}
				if err := checkChallenge(cd.challenge, mustHex(t, v.regChallenge)); err != nil {
					t.Errorf("registration challenge: %v", err)
				}
			}

			// Authentication.
			a := Assertion{
				AuthenticatorData: mustHex(t, v.authData),
				ClientDataJSON:    mustHex(t, v.clientData),
				Signature:         mustHex(t, v.signature),
			}
			e := Expect{RPID: "example.org", Challenge: mustHex(t, v.authChallenge)}
			err = key.Verify(a, e)
			checkErr(t, err, v.want, "")
			if v.want != nil {
				return
			}
			// The signature is the deterministic one the private key makes.
			if got := signer(signedBytes(a.AuthenticatorData, a.ClientDataJSON)); !bytes.Equal(got, a.Signature) {
				t.Errorf("re-signing: got %x, want the spec's %x", got, a.Signature)
			}
			// And every other expectation fails as it should.
			wrongChallenge := e
			wrongChallenge.Challenge = mustHex(t, v.regChallenge)
			checkErr(t, key.Verify(a, wrongChallenge), ErrChallenge, "")
			wrongRP := e
			wrongRP.RPID = "org"
			checkErr(t, key.Verify(a, wrongRP), ErrRPID, "")
			uv := e
			uv.RequireUV = true
			if a.AuthenticatorData[32]&FlagUV != 0 {
				checkErr(t, key.Verify(a, uv), nil, "")
			} else {
				checkErr(t, key.Verify(a, uv), ErrUserVerification, "")
			}
			other, _ := ParseAttestationObject(mustHex(t, specVectors[0].attestationObject))
			if !other.Key.Equal(key) {
				checkErr(t, other.Key.Verify(a, e), ErrSignature, "")
			}
			if got := a.SignCount(); got != 0 {
				t.Errorf("SignCount: got %d, want 0", got)
			}
		})
	}
}

// TestSpecVectorAttestationSignatures checks the attestation signatures of
// the spec's packed vectors, which the package does not verify, to confirm
// that the bytes were copied whole: self attestation (16.3) is the
// credential key's, full attestation (16.11) the certificate's.
func TestSpecVectorAttestationSignatures(t *testing.T) {
	for _, v := range []specVector{specVectors[1], specVectors[5]} {
		obj, err := cborDecodeAll(mustHex(t, v.attestationObject))
		if err != nil {
			t.Fatal(err)
		}
		var stmt, authData cborValue
		for i := 0; i < len(obj.items); i += 2 {
			switch string(obj.items[i].data) {
			case "attStmt":
				stmt = obj.items[i+1]
			case "authData":
				authData = obj.items[i+1]
			}
		}
		var sig []byte
		var cert *x509.Certificate
		for i := 0; i < len(stmt.items); i += 2 {
			switch string(stmt.items[i].data) {
			case "sig":
				sig = stmt.items[i+1].data
			case "x5c":
				if cert, err = x509.ParseCertificate(stmt.items[i+1].items[0].data); err != nil {
					t.Fatalf("%s: the attestation certificate: %v", v.section, err)
				}
			}
		}
		msg := signedBytes(authData.data, mustHex(t, v.regClientData))
		digest := sha256.Sum256(msg)
		var pub *ecdsa.PublicKey
		if cert != nil {
			pub = cert.PublicKey.(*ecdsa.PublicKey)
		} else {
			a, err := ParseAuthData(authData.data)
			if err != nil {
				t.Fatal(err)
			}
			pub = a.Key.ec
		}
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			t.Errorf("%s: the attestation signature does not verify: the vector was not copied right", v.section)
		}
	}
}
