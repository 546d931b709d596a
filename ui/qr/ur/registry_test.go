package ur

import (
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ToLower(s))
	if err != nil {
		panic(err)
	}
	return b
}

// registryCase is an example from the registry papers: the UR as printed,
// the CBOR as printed, and the value it stands for.
type registryCase struct {
	name string
	ur   string
	cbor string
	want any
}

func keypath(s string, fp uint32) *Keypath {
	kp, err := ParseKeypath(s)
	if err != nil {
		panic(err)
	}
	kp.SourceFingerprint = fp
	return &kp
}

var (
	hdkeyMaster = HDKey{
		Master:    true,
		Private:   true,
		KeyData:   mustHex("00e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35"),
		ChainCode: mustHex("873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee227ffed37d508"),
	}
	hdkeyTestnet = HDKey{
		KeyData:           mustHex("026fe2355745bb2db3630bbc80ef5d58951c963c841f54170ba6e5c12be7fc12a6"),
		ChainCode:         mustHex("ced155c72456255881793514edc5bd9447e7f74abb88c6d6b6480fd016ee8c85"),
		UseInfo:           &CoinInfo{Network: 1},
		Origin:            keypath("44'/1'/1'/0/1", 0),
		ParentFingerprint: 3910671603,
	}
)

// BCR-2020-006 (crypto-psbt), BCR-2020-007 (crypto-hdkey), BCR-2020-010
// revised November 8, 2021 (crypto-output), BCR-2020-015 revised December 6,
// 2021 (crypto-account).
var registryCases = []registryCase{
	{
		name: "bcr-2020-006 crypto-psbt",
		ur:   "ur:crypto-psbt/hdosjojkidjyzmadaenyaoaeaeaeaohdvsknclrejnpebncnrnmnjojofejzeojlkerdonspkpkkdkykfelokgprpyutkpaeaeaeaeaezmzmzmzmlslgaaditiwpihbkispkfgrkbdaslewdfycprtjsprsgksecdratkkhktikewdcaadaeaeaeaezmzmzmzmaojopkwtayaeaeaeaecmaebbtphhdnjstiambdassoloimwmlyhygdnlcatnbggtaevyykahaeaeaeaecmaebbaeplptoevwwtyakoonlourgofgvsjydpcaltaemyaeaeaeaeaeaeaeaeaebkgdcarh",
		cbor: "58A770736274FF01009A020000000258E87A21B56DAF0C23BE8E7070456C336F7CBAA5C8757924F545887BB2ABDD750000000000FFFFFFFF838D0427D0EC650A68AA46BB0B098AEA4422C071B2CA78352A077959D07CEA1D0100000000FFFFFFFF0270AAF00800000000160014D85C2B71D0060B09C9886AEB815E50991DDA124D00E1F5050000000016001400AEA9A2E5F0F876A588DF5546E8742D1D87008F000000000000000000",
		want: mustHex("70736274FF01009A020000000258E87A21B56DAF0C23BE8E7070456C336F7CBAA5C8757924F545887BB2ABDD750000000000FFFFFFFF838D0427D0EC650A68AA46BB0B098AEA4422C071B2CA78352A077959D07CEA1D0100000000FFFFFFFF0270AAF00800000000160014D85C2B71D0060B09C9886AEB815E50991DDA124D00E1F5050000000016001400AEA9A2E5F0F876A588DF5546E8742D1D87008F000000000000000000"),
	},
	{
		name: "bcr-2020-007 master key",
		ur:   "ur:crypto-hdkey/otadykaxhdclaevswfdmjpfswpwkahcywspsmndwmusoskprbbehetchsnpfcybbmwrhchspfxjeecaahdcxltfszmlyrtdlgmhfcnzcctvwcmkbpsftgonbgauefsehgrqzdmvodizmweemtlaybakiylat",
		cbor: "A301F503582100E8F32E723DECF4051AEFAC8E2C93C9C5B214313817CDB01A1494B917C8436B35045820873DFF81C02F525623FD1FE5167EAC3A55A049DE3D314BB42EE227FFED37D508",
		want: hdkeyMaster,
	},
	{
		name: "bcr-2020-007 testnet public key",
		ur:   "ur:crypto-hdkey/onaxhdclaojlvoechgferkdpqdiabdrflawshlhdmdcemtfnlrctghchbdolvwsednvdztbgolaahdcxtottgostdkhfdahdlykkecbbweskrymwflvdylgerkloswtbrpfdbsticmwylklpahtaadehoyaoadamtaaddyoyadlecsdwykadykadykaewkadwkaycywlcscewfihbdaehn",
		cbor: "A5035821026FE2355745BB2DB3630BBC80EF5D58951C963C841F54170BA6E5C12BE7FC12A6045820CED155C72456255881793514EDC5BD9447E7F74ABB88C6D6B6480FD016EE8C8505D90131A1020106D90130A1018A182CF501F501F500F401F4081AE9181CF3",
		want: hdkeyTestnet,
	},
	{
		name: "bcr-2020-010 pkh eckey",
		ur:   "ur:crypto-output/taadmutaadeyoyaxhdclaoswaalbmwfpwekijndyfefzjtmdrtketphhktmngrlkwsfnospypsasrhhhjonnvwtsqzwljy",
		cbor: "d90193d90132a103582102c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5",
		want: Output{Script: ScriptPKH, Keys: []HDKey{{EC: true, KeyData: mustHex("02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5")}}},
	},
	{
		name: "bcr-2020-010 sh(wpkh) eckey",
		ur:   "ur:crypto-output/taadmhtaadmwtaadeyoyaxhdclaxzmytkgtlkphywyoxcxfeftbbecgmectelfynfldllpisoyludlahknbbhndtkphfhlehmust",
		cbor: "d90190d90194d90132a103582103fff97bd5755eeea420453a14355235d382f6472f8568a18b2f057a1460297556",
		want: Output{Script: ScriptSHWPKH, Keys: []HDKey{{EC: true, KeyData: mustHex("03fff97bd5755eeea420453a14355235d382f6472f8568a18b2f057a1460297556")}}},
	},
	{
		name: "bcr-2020-010 sh(multi) eckeys",
		ur:   "ur:crypto-output/taadmhtaadmtoeadaoaolftaadeyoyaxhdclaodladvwvyhhsgeccapewflrfhrlbsfndlbkcwutahvwpeloleioksglwfvybkdradtaadeyoyaxhdclaxpstylrvowtstynguaspmchlenegonyryvtmsmtmsgshgvdbbsrhebybtztdisfrnpfadremh",
		cbor: "d90190d90196a201020282d90132a1035821022f01e5e15cca351daff3843fb70f3c2f0a1bdd05e5af888a67784ef3e10a2a01d90132a103582103acd484e2f0c7f65309ad178a9f559abde09796974c57e714c35f110dfc27ccbe",
		want: Output{Script: "sh(multi)", Threshold: 2, Keys: []HDKey{
			{EC: true, KeyData: mustHex("022f01e5e15cca351daff3843fb70f3c2f0a1bdd05e5af888a67784ef3e10a2a01")},
			{EC: true, KeyData: mustHex("03acd484e2f0c7f65309ad178a9f559abde09796974c57e714c35f110dfc27ccbe")},
		}},
	},
	{
		name: "bcr-2020-010 pkh hdkey with origin",
		ur:   "ur:crypto-output/taadmutaaddlonaxhdclaotdqdinaeesjzmolfzsbbidlpiyhddlcximhltirfsptlvsmohscsamsgzoaxadwtaahdcxiaksataxbtgotictnybnqdoslsmdbztsmtryatjoialnolweuramsfdtolhtbadtamtaaddyotadlncsdwykaeykaeykaocytegtqdfhaxaaattaaddyoyadlradwklawkaycyksfpdmftkiiozsfd",
		cbor: "D90193D9012FA503582102D2B36900396C9282FA14628566582F206A5DD0BCC8D5E892611806CAFB0301F0045820637807030D55D01F9A0CB3A7839515D796BD07706386A6EDDF06CC29A65A0E2906D90130A30186182CF500F500F5021AD34DB33F030407D90130A1018401F480F4081A78412E3A",
		want: Output{Script: ScriptPKH, Keys: []HDKey{{
			KeyData:           mustHex("02d2b36900396c9282fa14628566582f206a5dd0bcc8d5e892611806cafb0301f0"),
			ChainCode:         mustHex("637807030d55d01f9a0cb3a7839515d796bd07706386a6eddf06cc29a65a0e29"),
			Origin:            &Keypath{Components: keypath("44'/0'/0'", 0).Components, SourceFingerprint: 0xd34db33f, Depth: 4, HasDepth: true},
			Children:          keypath("1/*", 0),
			ParentFingerprint: 2017537594,
		}}},
	},
	{
		name: "bcr-2020-010 wsh(multi) hdkeys",
		ur:   "ur:crypto-output/taadmetaadmtoeadadaolftaaddloxaxhdclaxsbsgptsolkltkndsmskiaelfhhmdimcnmnlgutzotecpsfveylgrbdhptbpsveosaahdcxhnganelacwldjnlschnyfxjyplrllfdrplpswdnbuyctlpwyfmmhgsgtwsrymtldamtaaddyoeadlaaxaeattaaddyoyadlnadwkaewklawktaaddloxaxhdclaoztnnhtwtpslgndfnwpzedrlomnclchrdfsayntlplplojznslfjejecpptlgbgwdaahdcxwtmhnyzmpkkbvdpyvwutglbeahmktyuogusnjonththhdwpsfzvdfpdlcndlkensamtaaddyoeadlfaewkaocyrycmrnvwattaaddyoyadlnaewkaewklawktdbsfttn",
		cbor: "d90191d90196a201010282d9012fa403582103cbcaa9c98c877a26977d00825c956a238e8dddfbd322cce4f74b0b5bd6ace4a704582060499f801b896d83179a4374aeb7822aaeaceaa0db1f85ee3e904c4defbd968906d90130a20180030007d90130a1018601f400f480f4d9012fa403582102fc9e5af0ac8d9b3cecfe2a888e2117ba3d089d8585886c9c826b6b22a98d12ea045820f0909affaa7ee7abe5dd4e100598d4dc53cd709d5a5c2cac40e7412f232f7c9c06d90130a2018200f4021abd16bee507d90130a1018600f400f480f4",
		want: Output{Script: "wsh(multi)", Threshold: 1, Keys: []HDKey{
			{
				KeyData:   mustHex("03cbcaa9c98c877a26977d00825c956a238e8dddfbd322cce4f74b0b5bd6ace4a7"),
				ChainCode: mustHex("60499f801b896d83179a4374aeb7822aaeaceaa0db1f85ee3e904c4defbd9689"),
				Origin:    &Keypath{HasDepth: true},
				Children:  keypath("1/0/*", 0),
			},
			{
				KeyData:   mustHex("02fc9e5af0ac8d9b3cecfe2a888e2117ba3d089d8585886c9c826b6b22a98d12ea"),
				ChainCode: mustHex("f0909affaa7ee7abe5dd4e100598d4dc53cd709d5a5c2cac40e7412f232f7c9c"),
				Origin:    keypath("0", 3172384485),
				Children:  keypath("0/0/*", 0),
			},
		}},
	},
	{
		name: "bcr-2020-015 crypto-account",
		ur:   "ur:crypto-account/oeadcyemrewytyaolttaadeetaadmutaaddloxaxhdclaxwmfmdeiamecsdsemgtvsjzcncygrkowtrontzschgezokstswkkscfmklrtauteyaahdcxiehfonurdppfyntapejpproypegrdawkgmaewejlsfdtsrfybdehcaflmtrlbdhpamtaaddyoeadlncsdwykaeykaeykaocyemrewytyaycynlytsnyltaadeetaadmhtaadmwtaaddloxaxhdclaostvelfemdyynwydwyaievosrgmambklovabdgypdglldvespsthysadamhpmjeinaahdcxntdllnaaeykoytdacygegwhgjsiyonpywmcmrpwphsvodsrerozsbyaxluzcoxdpamtaaddyoeadlncsehykaeykaeykaocyemrewytyaycypdbskeuytaadeetaadmwtaaddloxaxhdclaxzcfxeegdrpmogrgwkbzctlttweadkiengrwlhtprremouoluutqdpfbncedkynfhaahdcxjpwevdeogthttkmeswzcolcpsaahcfnshkhtehytclmnteatmoteadtlwynnftloamtaaddyoeadlncsghykaeykaeykaocyemrewytyaycybthlvytstaadeetaadmhtaadnytaaddloxaxhdclaxhhsnhdrpftdwuocntilydibehnecmovdfekpjkclcslasbhkpawsaddmcmmnahnyaahdcxlotedtndfymyltclhlmtpfsadscnhtztaolbnnkistaedegwfmmedreetnwmcycnamtaaddyoeadlfcsdpykaocyemrewytyaycyemrewytytaadeetaadmhtaadmetaadnytaaddloxaxhdclaxdwkswmztpytnswtsecnblfbayajkdldeclqzzolrsnhljedsgminetytbnahatbyaahdcxkkguwsvyimjkvwteytwztyswvendtpmncpasfrrylprnhtkblndrgrmkoyjtbkrpamtaaddyoeadlocsdyykaeykaeykadykaocyemrewytyaycyhkrpnddrtaadeetaadmetaadnytaaddloxaxhdclaohnhffmvsbndslrfgclpfjejyatbdpebacnzokotofxntaoemvskpaowmryfnotfgaahdcxdlnbvecentssfsssgylnhkrstoytecrdlyadrekirfaybglahltalsrfcaeerobwamtaaddyoeadlocsdyykaeykaeykaoykaocyemrewytyaycyhkrpnddrtaadeetaadnltaaddloxaxhdclaorkrhkeytwsoykorletwstbwycagtbsotmeptjkesgwrfcmveskvdmngujzttgtdpaahdcxgrfgmuvyylmwcxjtttechplslgoegagaptdniatidmhdmebdwfryfsnsdkcplyvaamtaaddyoeadlncshfykaeykaeykaocyemrewytyaycytostatbngmdavolk",
		cbor: "a2011a37b5eed40287d90134d90193d9012fa403582103eb3e2863911826374de86c231a4b76f0b89dfa174afb78d7f478199884d9dd320458206456a5df2db0f6d9af72b2a1af4b25f45200ed6fcc29c3440b311d4796b70b5b06d90130a20186182cf500f500f5021a37b5eed4081a99f9cdf7d90134d90190d90194d9012fa403582102c7e4823730f6ee2cf864e2c352060a88e60b51a84e89e4c8c75ec22590ad6b690458209d2f86043276f9251a4a4f577166a5abeb16b6ec61e226b5b8fa11038bfda42d06d90130a201861831f500f500f5021a37b5eed4081aa80f7cdbd90134d90194d9012fa403582103fd433450b6924b4f7efdd5d1ed017d364be95ab2b592dc8bddb3b00c1c24f63f04582072ede7334d5acf91c6fda622c205199c595a31f9218ed30792d301d5ee9e3a8806d90130a201861854f500f500f5021a37b5eed4081a0d5de1d7d90134d90190d9019ad9012fa4035821035ccd58b63a2cdc23d0812710603592e7457573211880cb59b1ef012e168e059a04582088d3299b448f87215d96b0c226235afc027f9e7dc700284f3e912a34daeb1a2306d90130a20182182df5021a37b5eed4081a37b5eed4d90134d90190d90191d9019ad9012fa4035821032c78ebfcabdac6d735a0820ef8732f2821b4fb84cd5d6b26526938f90c0507110458207953efe16a73e5d3f9f2d4c6e49bd88e22093bbd85be5a7e862a4b98a16e0ab606d90130a201881830f500f500f501f5021a37b5eed4081a59b69b2ad90134d90191d9019ad9012fa40358210260563ee80c26844621b06b74070baf0e23fb76ce439d0237e87502ebbd3ca3460458202fa0e41c9dc43dc4518659bfcef935ba8101b57dbc0812805dd983bc1d34b81306d90130a201881830f500f500f502f5021a37b5eed4081a59b69b2ad90134d90199d9012fa403582102bbb97cf9efa176b738efd6ee1d4d0fa391a973394fbc16e4c5e78e536cd14d2d0458204b4693e1f794206ed1355b838da24949a92b63d02e58910bf3bd3d9c242281e606d90130a201861856f500f500f5021a37b5eed4081acec7070c",
		want: Account{MasterFingerprint: 0x37b5eed4, Outputs: []Output{
			accountOutput(ScriptPKH, "03EB3E2863911826374DE86C231A4B76F0B89DFA174AFB78D7F478199884D9DD32", "6456A5DF2DB0F6D9AF72B2A1AF4B25F45200ED6FCC29C3440B311D4796B70B5B", "44'/0'/0'", 2583285239),
			accountOutput(ScriptSHWPKH, "02C7E4823730F6EE2CF864E2C352060A88E60B51A84E89E4C8C75EC22590AD6B69", "9D2F86043276F9251A4A4F577166A5ABEB16B6EC61E226B5B8FA11038BFDA42D", "49'/0'/0'", 2819587291),
			accountOutput(ScriptWPKH, "03FD433450B6924B4F7EFDD5D1ED017D364BE95AB2B592DC8BDDB3B00C1C24F63F", "72EDE7334D5ACF91C6FDA622C205199C595A31F9218ED30792D301D5EE9E3A88", "84'/0'/0'", 224256471),
			accountOutput(ScriptSHCosigner, "035CCD58B63A2CDC23D0812710603592E7457573211880CB59B1EF012E168E059A", "88D3299B448F87215D96B0C226235AFC027F9E7DC700284F3E912A34DAEB1A23", "45'", 934670036),
			accountOutput(ScriptSHWSHCosigner, "032C78EBFCABDAC6D735A0820EF8732F2821B4FB84CD5D6B26526938F90C050711", "7953EFE16A73E5D3F9F2D4C6E49BD88E22093BBD85BE5A7E862A4B98A16E0AB6", "48'/0'/0'/1'", 1505139498),
			accountOutput(ScriptWSHCosigner, "0260563EE80C26844621B06B74070BAF0E23FB76CE439D0237E87502EBBD3CA346", "2FA0E41C9DC43DC4518659BFCEF935BA8101B57DBC0812805DD983BC1D34B813", "48'/0'/0'/2'", 1505139498),
			accountOutput(ScriptTR, "02BBB97CF9EFA176B738EFD6EE1D4D0FA391A973394FBC16E4C5E78E536CD14D2D", "4B4693E1F794206ED1355B838DA24949A92B63D02E58910BF3BD3D9C242281E6", "86'/0'/0'", 3469149964),
		}},
	},
}

func accountOutput(s Script, key, chain, path string, parent uint32) Output {
	return Output{Script: s, Keys: []HDKey{{
		KeyData:           mustHex(key),
		ChainCode:         mustHex(chain),
		Origin:            keypath(path, 0x37b5eed4),
		ParentFingerprint: parent,
	}}}
}

// TestRegistryExamples decodes each example UR to its documented CBOR and
// value, and encodes the value back to the same UR, byte for byte.
func TestRegistryExamples(t *testing.T) {
	for _, tt := range registryCases {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Decode(tt.ur)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got, want := hex.EncodeToString(u.CBOR), strings.ToLower(tt.cbor); got != want {
				t.Fatalf("CBOR = %s, want %s", got, want)
			}
			var got any
			var back UR
			switch want := tt.want.(type) {
			case []byte:
				got, err = DecodePSBT(u)
				back = PSBT(want)
			case HDKey:
				got, err = DecodeHDKey(u)
				if err == nil {
					back, err = want.UR()
				}
			case Output:
				got, err = DecodeOutput(u)
				if err == nil {
					back, err = want.UR()
				}
			case Account:
				got, err = DecodeAccount(u)
				if err == nil {
					back, err = want.UR()
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", got, tt.want)
			}
			if enc := Encode(back); enc != strings.ToUpper(tt.ur) {
				t.Errorf("re-encoded = %s\nwant %s", enc, strings.ToUpper(tt.ur))
			}
		})
	}
}

// TestWalletExport builds the exports airsign makes, single-sig and sorted
// multisig with <0;1>/* children, and reads them back.
func TestWalletExport(t *testing.T) {
	key := func(path string, parent uint32, b byte) HDKey {
		return HDKey{
			KeyData:           append([]byte{0x02}, make([]byte, 32)...),
			ChainCode:         append([]byte{b}, make([]byte, 31)...),
			Origin:            keypath(path, 0xd34db33f),
			Children:          keypath("<0;1>/*", 0),
			ParentFingerprint: parent,
		}
	}
	for _, o := range []Output{
		{Script: ScriptWPKH, Keys: []HDKey{key("84'/0'/0'", 0x11223344, 1)}},
		{Script: ScriptTR, Keys: []HDKey{key("86'/0'/0'", 0x11223344, 2)}},
		{Script: ScriptSHWPKH, Keys: []HDKey{key("49'/0'/0'", 0x11223344, 3)}},
		{Script: ScriptPKH, Keys: []HDKey{key("44'/1'/0'", 0x11223344, 4)}},
		{Script: ScriptWSHSortedMulti, Threshold: 2, Keys: []HDKey{
			key("48'/0'/0'/2'", 1, 5), key("48'/0'/0'/2'", 2, 6), key("48'/0'/0'/2'", 3, 7),
		}},
	} {
		t.Run(string(o.Script), func(t *testing.T) {
			u, err := o.UR()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Decode(Encode(u))
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeOutput(back)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, o) {
				t.Errorf("got %+v, want %+v", got, o)
			}
			if s := got.Keys[0].Children.String(); s != "<0;1>/*" {
				t.Errorf("children = %s, want <0;1>/*", s)
			}
		})
	}
	a := Account{MasterFingerprint: 0xd34db33f, Outputs: []Output{{Script: ScriptWPKH, Keys: []HDKey{key("84'/0'/0'", 7, 9)}}}}
	u, err := a.UR()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeAccount(u)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("account round trip = %+v, %v, want %+v", got, err, a)
	}
}

func TestKeypathString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"m/84'/0'/0'", "84'/0'/0'"},
		{"48h/1h/0h/2h", "48'/1'/0'/2'"},
		{"<0;1>/*", "<0;1>/*"},
		{"0/*'", "0/*'"},
		{"", ""},
	} {
		kp, err := ParseKeypath(tt.in)
		if err != nil {
			t.Errorf("ParseKeypath(%q): %v", tt.in, err)
			continue
		}
		if got := kp.String(); got != tt.want {
			t.Errorf("ParseKeypath(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"2147483648", "x", "<0;1", "<0>/*", "1//2"} {
		if _, err := ParseKeypath(bad); err == nil {
			t.Errorf("ParseKeypath(%q) succeeded, want an error", bad)
		}
	}
}

// TestRegistryV2 reads the version 2 tags (403xx) that newer senders write.
func TestRegistryV2(t *testing.T) {
	// The testnet key of BCR-2020-007 with coin-info 40305 and keypath 40304.
	v1 := mustHex("A5035821026FE2355745BB2DB3630BBC80EF5D58951C963C841F54170BA6E5C12BE7FC12A6045820CED155C72456255881793514EDC5BD9447E7F74ABB88C6D6B6480FD016EE8C8505D90131A1020106D90130A1018A182CF501F501F500F401F4081AE9181CF3")
	v2 := strings.Replace(strings.Replace(hex.EncodeToString(v1), "d90131", "d99d71", 1), "d90130", "d99d70", 1)
	got, err := DecodeHDKey(UR{Type: "hdkey", CBOR: mustHex(v2)})
	if err != nil || !reflect.DeepEqual(got, hdkeyTestnet) {
		t.Errorf("v2 hdkey = %+v, %v, want %+v", got, err, hdkeyTestnet)
	}
	// A psbt tagged 40310.
	psbt := []byte("psbt\xff\x01\x02")
	tagged := append(mustHex("d99d76"), cborBytes(psbt)...)
	if got, err := DecodePSBT(UR{Type: "psbt", CBOR: tagged}); err != nil || string(got) != string(psbt) {
		t.Errorf("DecodePSBT(tagged 40310) = %x, %v", got, err)
	}
	if got, err := DecodePSBT(UR{Type: "crypto-psbt", CBOR: append(mustHex("d90136"), cborBytes(psbt)...)}); err != nil || string(got) != string(psbt) {
		t.Errorf("DecodePSBT(tagged 310) = %x, %v", got, err)
	}
}

func TestRegistryErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		fn   func() error
	}{
		{"psbt wrong type", func() error { _, err := DecodePSBT(UR{Type: "bytes", CBOR: cborBytes([]byte("psbt\xff"))}); return err }},
		{"psbt no magic", func() error { _, err := DecodePSBT(PSBT([]byte("hello"))); return err }},
		{"psbt trailing", func() error {
			_, err := DecodePSBT(UR{Type: "crypto-psbt", CBOR: append(cborBytes([]byte("psbt\xff")), 0)})
			return err
		}},
		{"psbt wrong tag", func() error {
			_, err := DecodePSBT(UR{Type: "crypto-psbt", CBOR: append(mustHex("d90130"), cborBytes([]byte("psbt\xff"))...)})
			return err
		}},
		{"output v3", func() error { _, err := DecodeOutput(UR{Type: "output-descriptor", CBOR: []byte{0xa0}}); return err }},
		{"account v2", func() error { _, err := DecodeAccount(UR{Type: "account-descriptor", CBOR: []byte{0xa0}}); return err }},
		{"output threshold", func() error {
			_, err := Output{Script: ScriptWSHSortedMulti, Threshold: 3, Keys: []HDKey{hdkeyTestnet}}.UR()
			return err
		}},
		{"output bad script", func() error { _, err := Output{Script: "tr(wpkh)", Keys: []HDKey{hdkeyTestnet}}.UR(); return err }},
		{"output unknown script", func() error { _, err := Output{Script: "foo", Keys: []HDKey{hdkeyTestnet}}.UR(); return err }},
		{"output two keys", func() error {
			_, err := Output{Script: ScriptWPKH, Keys: []HDKey{hdkeyTestnet, hdkeyTestnet}}.UR()
			return err
		}},
		{"short key", func() error { _, err := HDKey{KeyData: []byte{2}}.UR(); return err }},
		{"empty account", func() error { _, err := Account{}.UR(); return err }},
		{"hdkey duplicate field", func() error {
			_, err := DecodeHDKey(UR{Type: "crypto-hdkey", CBOR: mustHex("a2035821026FE2355745BB2DB3630BBC80EF5D58951C963C841F54170BA6E5C12BE7FC12A603582102")})
			return err
		}},
	} {
		if err := tt.fn(); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}
