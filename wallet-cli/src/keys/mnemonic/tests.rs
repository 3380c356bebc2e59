//! The official BIP39 English test vectors, with passphrase "TREZOR".
//!
//! Source: trezor/python-mnemonic `vectors.json` (the reference implementation's vectors that
//! BIP-0039 links to), "english" entries: entropy, phrase, and the 64-byte seed as hex.

use super::*;

/// (entropy, phrase, seed with passphrase "TREZOR")
const TREZOR_VECTORS: [(&str, &str, &str); 9] = [
    (
        "00000000000000000000000000000000",
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
    ),
    (
        "ffffffffffffffffffffffffffffffff",
        "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
        "ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069",
    ),
    (
        "808080808080808080808080808080808080808080808080",
        "letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic avoid letter always",
        "107d7c02a5aa6f38c58083ff74f04c607c2d2c0ecc55501dadd72d025b751bc27fe913ffb796f841c49b1d33b610cf0e91d3aa239027f5e99fe4ce9e5088cd65",
    ),
    (
        "0000000000000000000000000000000000000000000000000000000000000000",
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art",
        "bda85446c68413707090a52022edd26a1c9462295029f2e60cd7c4f2bbd3097170af7a4d73245cafa9c3cca8d561a7c3de6f5d4a10be8ed2a5e608d68f92fcc8",
    ),
    (
        "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
        "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title",
        "bc09fca1804f7e69da93c2f2028eb238c227f2e9dda30cd63699232578480a4021b146ad717fbb7e451ce9eb835f43620bf5c514db0f8add49f5d121449d3e87",
    ),
    (
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote",
        "dd48c104698c30cfe2b6142103248622fb7bb0ff692eebb00089b32d22484e1613912f0a5b694407be899ffd31ed3992c456cdf60f5d4564b8ba3f05a69890ad",
    ),
    (
        "68a79eaca2324873eacc50cb9c6eca8cc68ea5d936f98787c60c7ebc74e6ce7c",
        "hamster diagram private dutch cause delay private meat slide toddler razor book happy fancy gospel tennis maple dilemma loan word shrug inflict delay length",
        "64c87cde7e12ecf6704ab95bb1408bef047c22db4cc7491c4271d170a1b213d20b385bc1588d9c7b38f1b39d415665b8a9030c9ec653d75e65f847d8fc1fc440",
    ),
    (
        "9f6a2878b2520799a44ef18bc7df394e7061a224d2c33cd015b157d746869863",
        "panda eyebrow bullet gorilla call smoke muffin taste mesh discover soft ostrich alcohol speed nation flash devote level hobby quick inner drive ghost inside",
        "72be8e052fc4919d2adf28d5306b5474b0069df35b02303de8c1729c9538dbb6fc2d731d5f832193cd9fb6aeecbc469594a70e3dd50811b5067f3b88b28c3e8d",
    ),
    (
        "f585c11aec520db57dd353c69554b21a89b20fb0650966fa0a9d6f74fd989d8f",
        "void come effort suffer camp survey warrior heavy shoot primary clutch crush open amazing screen patrol group space point ten exist slush involve unfold",
        "01f5bced59dec48e362f2c45b5de68b9fd6c92c6634f44d6d40aab69056506f0e35524a518034ddc1192e1dacd32c1ed3eaa3c3b131c88ed8e7e54c49a5d0998",
    ),
];

#[test]
fn trezor_vectors_give_the_published_phrase_and_seed() {
    for (entropy, words, seed) in TREZOR_VECTORS {
        let from_entropy = Phrase::from_entropy(&hex::decode(entropy).unwrap()).unwrap();
        assert_eq!(from_entropy.words().as_str(), words, "phrase of {entropy}");
        let parsed = Phrase::parse(words).unwrap();
        assert_eq!(hex::encode(*parsed.seed("TREZOR")), seed, "seed of {words}");
    }
}

#[test]
fn a_new_phrase_has_24_words_and_differs_each_time() {
    let a = Phrase::generate().unwrap();
    let b = Phrase::generate().unwrap();
    assert_eq!(a.word_count(), NEW_WORDS);
    assert_ne!(a.words().as_str(), b.words().as_str());
    let again = Phrase::parse(&a.words()).unwrap();
    assert_eq!(*again.seed(""), *a.seed(""));
}

#[test]
fn typed_phrases_tolerate_case_and_spacing() {
    let typed = "  Zoo zoo ZOO zoo\tzoo zoo zoo zoo\nzoo zoo zoo WRONG ";
    let p = Phrase::parse(typed).unwrap();
    assert_eq!(
        hex::encode(*p.seed("TREZOR")),
        TREZOR_VECTORS[1].2,
        "the same seed as the canonical phrase"
    );
}

#[test]
fn bad_phrases_are_refused_with_the_reason() {
    let unknown = Phrase::parse(
        "abandon abandon abandn abandon abandon abandon abandon abandon abandon abandon abandon about",
    )
    .unwrap_err();
    assert!(unknown.to_string().contains("word 3"), "{unknown}");
    assert!(unknown.to_string().contains("abandn"), "{unknown}");
    let checksum = Phrase::parse(
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon",
    )
    .unwrap_err();
    assert!(checksum.to_string().contains("checksum"), "{checksum}");
    let short = Phrase::parse("abandon about").unwrap_err();
    assert!(short.to_string().contains("has 2"), "{short}");
    for e in [unknown, checksum, short] {
        assert_eq!(e.exit_code(), crate::exit::EXIT_USAGE);
    }
}

#[test]
fn the_passphrase_changes_the_account_and_accounts_differ() {
    let p = Phrase::parse(TREZOR_VECTORS[3].1).unwrap();
    let plain = p.account_key("", 0).public();
    assert_ne!(plain, p.account_key("TREZOR", 0).public());
    assert_ne!(plain, p.account_key("", 1).public());
    assert_eq!(plain, p.account_key("", 0).public());
}

#[test]
fn debug_output_never_shows_the_words() {
    let p = Phrase::parse(TREZOR_VECTORS[0].1).unwrap();
    assert_eq!(format!("{p:?}"), "Phrase(12 words)");
}
