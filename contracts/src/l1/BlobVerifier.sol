// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev Payload bytes per blob, 4,096 field elements × 31 (`BlobVerifier.PAYLOAD_BYTES`): a
///      file-level constant so that the inbox can place a blob batch's chunk roots by it.
uint256 constant BLOB_PAYLOAD_BYTES = 126_976;

/// @title BlobVerifier
/// @notice Reads bytes out of an EIP-4844 blob on L1: given the blob's versioned hash, its KZG
///         commitment and the EIP-7594 cells that hold a range of the blob's payload, each with
///         its KZG cell proof, it checks the cells against the commitment and returns the
///         keccak256 of the payload bytes of that range (`payloadHash`), or the bytes themselves
///         (`payload`). The inbox uses it to prove that a blob does not hold the data a batch
///         committed to (`BatchInbox.proveBlobFraud`), or does not end with the chunk roots the
///         batch was posted with (`BatchInbox.proveBlobRootsFraud`). Stateless;
///         the KZG ceremony's points it needs are constants of its code. Normative text:
///         docs/fraud-proofs.md §8.
/// @dev Layout: the blob is 4,096 field elements of 32 bytes (big-endian, each below the
///      scalar field modulus `R`). Payload byte `b` is byte `1 + b % 31` of element `b / 31`
///      (byte 0 of every element is ignored); element `e` is position `e % 64` of cell `e / 64`.
///      KZG (EIP-4844, EIP-7594): the blob is the evaluation form of a polynomial `P` of degree
///      below 4,096, element `i` being `P(ω₄₀₉₆^brp₁₂(i))`, so position `j` of cell `k` is
///      `P(h_k · ω₆₄^rev₆(j))` with `h_k = ω₄₀₉₆^rev₆(k)`. The proof `π_k` of cell `k` is
///      `[Q(τ)]₁` with `P − I_k = Q · (X^64 − h_k^64)`, `I_k` the cell's interpolant, so that
///      `e(C − [I_k(τ)]₁ + h_k^64 · π_k, [1]₂) · e(π_k, −[τ^64]₂) = 1`. `[I_k(τ)]₁` is the MSM of
///      `I_k`'s 64 monomial coefficients (an inverse FFT of the cell's values: the values are
///      the FFT's input in bit-reversed order) with `[τ^0 … τ^63]₁`. Several cells are checked
///      at once with powers of a Fiat-Shamir challenge `ρ` (as c-kzg's
///      `verify_cell_kzg_proof_batch` does): one G1 MSM of 65 + n points, one of n points (none
///      for one cell) and one pairing check of two pairs. Curve arithmetic is EIP-2537's
///      precompiles (G1 points as `x ‖ y`, each coordinate 64 bytes, 16 of them zero; the point
///      at infinity is 128 zero bytes; G2 points as `x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1`).
contract BlobVerifier {
    /// @notice A cell of the blob (EIP-7594): `values` are its 64 field elements (2,048 bytes)
    ///         and `proof` its KZG cell proof as an EIP-2537 G1 point (128 bytes).
    struct Cell {
        uint256 index;
        bytes values;
        bytes proof;
    }

    /// @notice The range must be `0 ≤ from < to ≤ PAYLOAD_BYTES`.
    error BadRange(uint256 from, uint256 to);
    /// @notice A commitment is a 128-byte EIP-2537 G1 point.
    error BadCommitmentLength(uint256 length);
    /// @notice The commitment does not have the versioned hash (`ofCommitment` is its own).
    error CommitmentMismatch(bytes32 versionedHash, bytes32 ofCommitment);
    /// @notice The cells given are not exactly cells `first … last`, in order.
    error CellsDoNotCover(uint256 first, uint256 last);
    /// @notice Cell `cell` does not have 2,048 bytes of values and a 128-byte proof.
    error BadCellLength(uint256 cell);
    /// @notice Value `position` of cell `cell` is not a field element (not below `R`).
    error NotCanonical(uint256 cell, uint256 position);
    /// @notice The proof of cell `cell` does not open the commitment to the cell's values.
    error CellProofInvalid(uint256 cell);
    /// @notice An EIP-2537 precompile refused its input (a point off the curve or outside the
    ///         subgroup, a coordinate not below the base field modulus).
    error PrecompileFailed(address precompile);

    /// @notice Field elements per blob.
    uint256 public constant FIELD_ELEMENTS = 4096;
    /// @notice Field elements per cell (EIP-7594), and cells per blob.
    uint256 public constant CELL_ELEMENTS = 64;
    /// @notice Payload bytes per field element (its byte 0 is not used).
    uint256 public constant ELEMENT_PAYLOAD_BYTES = 31;
    /// @notice Payload bytes per cell: 64 × 31.
    uint256 public constant CELL_PAYLOAD_BYTES = 1984;
    /// @notice Payload bytes per blob: 4,096 × 31.
    uint256 public constant PAYLOAD_BYTES = BLOB_PAYLOAD_BYTES;

    /// @dev The BLS12-381 scalar field modulus.
    uint256 internal constant R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;
    /// @dev (p − 1) / 2, p the base field modulus, as a 64-byte EIP-2537 field element: its
    ///      high and low words. A compressed point's y is the larger one when y > (p − 1) / 2.
    uint256 internal constant HALF_P_HI = 0x000000000000000000000000000000000d0088f51cbff34d258dd3db21a5d66b;
    uint256 internal constant HALF_P_LO = 0xb23ba5c279c2895fb39869507b587b120f55ffff58a9ffffdcff7fffffffd555;
    /// @dev ω₄₀₉₆⁻¹, ω₄₀₉₆ = 7^((R − 1) / 4096) the primitive 4,096th root of unity of EIP-4844.
    uint256 internal constant W4096_INV = 0x391b2856c609b4784ae25ffab9dc59865046d17864183203961a252dd8543362;
    /// @dev ω₆₄ = ω₄₀₉₆^64.
    uint256 internal constant W64 = 0x45af6345ec055e4d14a1e27164d8fdbd2d967f4be2f951558140d032f0a9ee53;
    /// @dev ω₆₄⁻¹.
    uint256 internal constant W64_INV = 0x640d097461a2eeaf4e84b3cd7dc75b61db872ef3dce28e788d28c143168bba2c;
    /// @dev ω₆₄^−16, a primitive 4th root of unity.
    uint256 internal constant W64_INV_16 = 0x73eda753299d7d47a5e80b39939ed33467baa40089fb5bfefffeffff00000001;
    /// @dev 1/64 mod R.
    uint256 internal constant INV64 = 0x721df0b5dcf70753126cf0a7e97b50a53e6ead72f3fe628f03ffffff04000001;

    /// @dev EIP-2537 precompiles and SHA-256.
    uint256 internal constant SHA256 = 0x02;
    uint256 internal constant G1MSM = 0x0c;
    uint256 internal constant PAIRING_CHECK = 0x0f;

    /// @dev [τ^0 … τ^63]_1 of the KZG ceremony (trusted_setup.txt's G1 monomial points), each
    ///      in EIP-2537 form (x ‖ y, 64 bytes each).
    bytes internal constant G1_MONOMIAL = hex"0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb0000000000000000000000000000000008b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1"
        hex"000000000000000000000000000000000d3eb50121139aa34db1d545093ac9374ab7bca2c0f3bf28e27c8dcd8fc7cb42d25926fc0c97b336e9f0fb35e5a04c810000000000000000000000000000000017de623f59a3043952d2f637a935fae14b6dee8b255e526304963d58ab6f1a827c7de623d34d394f8a3d0f57d6e972b9"
        hex"000000000000000000000000000000000029c8ce0d2dce761a7f29c2df2290850c85bdfaec2955626d7acc8864aeb01fe16c9e156863dc63b6c22553910e27c10000000000000000000000000000000003a6a23d2d7f2468340557888fa5251e824ddc71d4cb9478dd94ba9156f9cd8c35a1db612a3735af9d344fd6dd258fbb"
        hex"0000000000000000000000000000000011386c995d3101d10639e49b9e5d39b9a280dcf0f135c2e6c6928bb3ab8309a9da7178f33925768c324f11c3762cfdd500000000000000000000000000000000194e427b3195680d4e1125526bea288e65b225fe4a781f0d9adcb8669ed6b7e23c01410d0de891cce8a6baa6e7047ac0"
        hex"000000000000000000000000000000001596d929610e6d2ed3502b1bb0f1ea010f6b6605c95d4859f5e53e09fa68dc71dfd5874905447b5ec6cd156a76d6b6e80000000000000000000000000000000000768a77d36bb2a27ad79e88c3a6abd02c1e79c5e46132214be8e95f9da33218a45f60f6c23518498cea981d40d410f3"
        hex"00000000000000000000000000000000051e3c3d4b5b7cdbba25d72abf9812cf3d7c5a9dbdec42b6635e2add706cbeea18f985afe5247459f6c908620322f4340000000000000000000000000000000003b54216ac3c9c081602e834b21549d421812260da67de669152015c3d66962d35faa297b2f80ce18527816592979c2c"
        hex"00000000000000000000000000000000110f4cf8ec6e02491bbe6d9084d88c16306fdaf399fef3cd1453f58a4f7633f80dc60b100f9236c3103eaf727468374f00000000000000000000000000000000177b94b93ba9c802dc5e7f5df41624b2c911300f77386419d3cd32c77d77caf1f66c6bfca9cdd6e9b7f5235d62812ace"
        hex"000000000000000000000000000000000de11ec630127e04d17e70db0237d55f2ff2a2094881a483797e8cddb98b622245e1f608e5dcd1172b9870e733b4a32f0000000000000000000000000000000015c24ae9092d270a7ee24633170b118a1f0f26f2bb86ed2edfaa691eb2eb804090d393d3a53c56d5bbe64ec88cd79c35"
        hex"000000000000000000000000000000000f58c8a2f58f904ce20db81005331bf2d251e227e7d1bef575d691bdca842e6233eb2e26c2e116a61a78594772b38d250000000000000000000000000000000015d2239c7d1a593dad8ac3aacb02955e2a2f66794e900ba2c2740046b3f52bedbbc07c99ad723cfe332840ab7955ef8e"
        hex"0000000000000000000000000000000013c1313c31ec82da5a7a09e9cf6656ca598c243345fe8d4828e520ade91787ffb8b9867db789b34ad67cef47b26ff86d000000000000000000000000000000001657ff73a31ea00d2f2eeea4cb1af24603144a854d37196cfd2c18be88d4b88d50a07bff7f715394917ccbb7074f4e7c"
        hex"0000000000000000000000000000000008ed8a235355948e0b04be080b7b3e145293accefb4704d1da9050796b2f6870516c1ebf77ae6a65359edcfd016c0f3600000000000000000000000000000000108d42f9b96290884f63b6243fb02c35bfcb2a28290ca568ae81452379b0aee385f153edb1a77c3a4cafc539230304c4"
        hex"0000000000000000000000000000000000e792d5ba24b8058f6d7291a2ec5cb68aab1e16e96d793128e86815631baf42c56b6205c19e25ce9727bd1fd6f9defb0000000000000000000000000000000000c5fe336f4b30c44215eb8de1672ba11af5b81e40974a7b940694d7e9f85ccd153f3785b2278b9adba4613e0ef51084"
        hex"00000000000000000000000000000000016288c5d726b094e3fdf95cb8882f442c4d9d1101b92c7938a7dfd49bc50636d73ea1b05f75eb731c908c8fd8dee7170000000000000000000000000000000000c2fd8f816f942b26453e2fb0b463fe1a4fe0fba69e250ce84c2ec8bbed1809202212a29151cbee3e252b0560f9523d"
        hex"000000000000000000000000000000000e009128d128ba2e1519bfa7a0c01ed494a7d461c3aba60f8a301701fed61fe4e31d6c79ce189542ae51df91e73ce1b3000000000000000000000000000000001589bda12563bd5db68c0f666c871736ff680c3b11e52a8ac5cd793a8d0f7deb28906ff2c303f35e868f794c1c6b7144"
        hex"0000000000000000000000000000000016a866d60a9007d05825c332476a83e869e15b11d7257172a67690ea9bd3efea44bf9c8d42191454eb04fcf110b163960000000000000000000000000000000002340361b37960c99e43f6eb8ee65b3dc95e05fd9c2af220742073d2cf2e5957ab17d2789e38fcf1c62cbb974877f978"
        hex"000000000000000000000000000000000b250a2a06419adb9b611e89f7f8f2990aa301949b533ad3bf17c4a61ab5f5be0b1d5e2b571864d13f1bb75805c7795d00000000000000000000000000000000098dc64a8926a86e40f5a59e199808672db827c6eb01702a3c5dc17390c2ae89b71fd096929eacdc8fe4168fb201bb1a"
        hex"000000000000000000000000000000000450f49facf2e620fa45ee90e1801178842d927a2a25fc6ed7ba99a4eec7ae40eebfee41028eaa84f107f4a77769497600000000000000000000000000000000084afa97b67781f0f7236f35e02018eac760ca234f0f1ca12bc3a13371de85435aa0b375531f7d4ce21a9a437cff8e42"
        hex"0000000000000000000000000000000011049080cf659c0985a22d1366e59191bb89663f922e8168b9b7d85c8a73d74a6d9dceefd855d3d858b493670c750581000000000000000000000000000000000bdbe86b85db135e7a8e3fefac3cf1dd43e7e7ba104a7732b24f2fa99ea8f19865c0176a170fd55a55b26924917bc186"
        hex"0000000000000000000000000000000001e167aeb2008087f3195926f1985c0a459d6ec57237255b1473a96de4e2c1cf766127c862c7dc853a6909e67cb06cf70000000000000000000000000000000016ba543a21d4be014b0d2b4729cb78baeb00e825998741a43f71ae553d26f47cf8feb2dc831265254a71d07f9cb00630"
        hex"000000000000000000000000000000001667c0d4e26e20698b07567358625d5f003839c92de8088e12dbd74a6f6a3156b4ea8d252c9ad62af5f6c4fec1cf6cc700000000000000000000000000000000122a30f2c5acedcde8a748b4d7aa124413f619bdeed7b1a6287f5aaeeaf203384193465460368cec96eb09259267354c"
        hex"000000000000000000000000000000000e4b5e304c0b1b161ae3e4b68b5e3ac66c42acd7c1ee2458044f6527c508a93995e50894d72d57c1350f91afe72775ff00000000000000000000000000000000053fb315697950d8d77b6ddd1be10ad7d21cfd83361bae4a0d3e14556716fb87e27e20c849afe6328ed5c84db2ca5bfd"
        hex"000000000000000000000000000000000c642640aa7915421cdc21fd639f88a42052b1cfa358ff7702e60793a92b7b5926dae15a0c8f8f59cd3013f01c159ba3000000000000000000000000000000000b53bcce42d4801b7f850e7dd12b4ccf1b4eee3c9e7f3a8e07cdcc187aeeb787838df80442282aa979860429a3b43be9"
        hex"000000000000000000000000000000000356f35e713cfc283056bf539de54a21731e61efb4c47319f20de4a4b723d76a33b65f4a67d298b9ec5c2a15794186570000000000000000000000000000000016df2b206df1ba42f79cb0b4190036fb186e0fca652cc4bd5d637534a801bab97c38ecfde9838f596a7b3c8cdfe4b7ac"
        hex"0000000000000000000000000000000013ce204146ce95f484dc79c27919a16c9e3fc14a9111c6c63d44491158d5838117d20851cc3227a5e8ba6ccf79e77f3900000000000000000000000000000000074bf8dfd269f997217b04de73537e40c27c3af32e5598dd60d447e869f2e671b3a6484a61e7eb4ac3599e52d0793528"
        hex"000000000000000000000000000000001585664cbb9a84b52f89114e1cf0cf1171bea78a136dc1404ac88a11210b2debc3b7a55e702da93ff629095c134a295e000000000000000000000000000000000e55c382afc425d9fe6d63f54a49f59ddd591bdb868793a519cf3ba7432151895722b2954c93bf16ceeaffacebfb2577"
        hex"0000000000000000000000000000000016dfd444ec7fdceb14c6328f26ca12c3f9fc4327d8d8c68948e92e7e61262b82d833a65a9e3af6353ffa832b6da25705000000000000000000000000000000001697f3d911c0560e1ae0405325d43f488ea40174a3db38e69151a5d866d5c84163a19537859754182a5a76ca44d4b52e"
        hex"0000000000000000000000000000000014d4b8eb9ecfffe3f0d48fb4149c7b31aec1da7041ec03bd0750c52a2a7cbc3a7cfbf09d5bfdc56e3860826a62d0bb910000000000000000000000000000000016ea76ba2a996bc3dc2f28b765659388b0d182eb9d00a60167d48f72aec5a9cb3255afa115afdcfa5ed1b98894f609e8"
        hex"0000000000000000000000000000000004e248e3d61db52da9683fef188579c470d65e2df9064726847b1599fc774049ffdc6ef2ae578d5ed7874f1298ecdf6900000000000000000000000000000000129bf6f4952fdb87b06d6fac93030a2712243b9f8514f09bd401baded5fb39dd62e056a35a333709202da6b672e01394"
        hex"00000000000000000000000000000000068a0fffc2e37d3183feb01b42234c0f4e510f9dc29d09c571e6da00fecad9da224cd0f31550070148667e226c4ca413000000000000000000000000000000000f848a7063df8cc3cc8ac04dd254c3f78de22daf7bfcaa051e9b936ccd009eefa7ba44afa42ea7ba9a1dcbcc89287de9"
        hex"0000000000000000000000000000000006adda2ffecb77236c18005051f31f9657a0d50fef2a1175dfda32e74d5d53df825c10f289eb0ad39df0c64fc9bc77290000000000000000000000000000000001da5ddebd67b1a6ed8eb2af1009e3ee2a090b72531917f4349357259c3572fd282dc2fc1298075a28a34d1650d818c3"
        hex"00000000000000000000000000000000198266d5c9c3764ed97d66fa9ed176af043999652bae19f0657c8328629d30af453230e3681c5a38e2f01e389ed8d825000000000000000000000000000000000bcce6b2819a1380db6f1bfc0ecf9c66d3947cc1ec89fbfe3160dac0722339690df90ec660bc59f75a172d8b616373a1"
        hex"00000000000000000000000000000000005261554d3c620af0c914cf27ab98f5d3593c33ab313c198e0c40d6c72022eb5943778cd4f73e9fe8383392a70049760000000000000000000000000000000018757d5cc600b1af6c4672962627fb6f35876ea795d1b85f89858f1c495cbf17bc67a4eac71e3974ce9b2e29b85266f7"
        hex"000000000000000000000000000000000d243fb3631bf90fedb9d679fd71fc0cf06bda028591ded2bd4c634ea7b3c2bd22eca2ab318fcdaa6c2cda1e63e1c57b00000000000000000000000000000000135aa76cd22fa5b6ba4a5bd3b316a5a2cd7ae6a0a012a4f1b6a7330f38a27716ea229bd9ee027e26bfe9ac1f393c58e4"
        hex"0000000000000000000000000000000009b9859a04f903c95e97fb2951f01cc6418a2505eee0b5bc7266b4d33e01b69b9fe7dc56fa9ebb5856095be0925a422d000000000000000000000000000000000639399e89b6e2d63085120eec9ac7945618f4e13ce8c8db23f36dd1c4af671b58eecdc2e2b1750a1cbbebda219266fe"
        hex"00000000000000000000000000000000068d118343a5bbfbbab95ff9bfe53aeb7fdbaf16db983e6f4456366df2aa01fbdb6ee9901cb102fc7d2bd099be2f1f3e0000000000000000000000000000000011567044760d278e41248cad59cb35dbf27f779eee7c6021c97932a378c99a3434a26acd86d8705d02cfdba5314b08e3"
        hex"00000000000000000000000000000000149301f25d5a9dd2ec60ddb0b4b477291958487efea9e54dc0e4ef388f03b8bbadd13259d191f7a0b7513876767d82820000000000000000000000000000000017b4dab082ff81fd6dc06c83302865af0a89d8632ec87ad182c78384c4823c0b0e1cb9050916d6d8f2be188266958335"
        hex"000000000000000000000000000000000b93df7fb4513f67749905fd43db78f7026589b704ebb9ea3255d0ad6415437799f40f02e07efccda1e6fd5e8cd0a72100000000000000000000000000000000078cc8c8a22b57acdbc5ad9d253902a7b22c77cf52032ba2f9b60d2d2590c3b87640a22d66f5335c90564184b322b780"
        hex"000000000000000000000000000000000d88769ace96455da37c3c9019a9f523c694643be3f6b37b1e9dcc5053d1fe8e463abebdb1b3ef2f2fb801528a01c47c00000000000000000000000000000000158fe1c8f8c220c87d781f919ccbded9c8b292898e18672919eb5efa66eefceb4af92b9751c392f5bf530d6187ab4b56"
        hex"0000000000000000000000000000000000f0eb5dcbfaaf421bf59a8b9bd5245c4823c94510093e23e0b0534647fb5525a25ea3aeea0a927a1ee20c057f2c9234000000000000000000000000000000000c0abd370a4f74ce07549721754547db19f32967cc1088acde1c131465dc92ca444c20699d5877b79bfea80215ce3259"
        hex"00000000000000000000000000000000110ad82ea6a5aeabe345d00eb17910d6942b6862f7f3773c7d321194e67c9cced0b3310425662606634dcd7f8b976c04000000000000000000000000000000000fa7fd17b379b1479fa0d86d799d913f0e2cd332558f4e35caa05f7cbf630e34761dffd5ab7ced6c8ad147fb8913f220"
        hex"0000000000000000000000000000000002f6fd91f87822f6cc977808eeac77889f4a32fb0d618e784b2331263d0ffa820b3f70b069d32e0319c9e033ab75d3b400000000000000000000000000000000026ed93e222e42671237965c6a9b07282dd32e4f08d66ffac3ed9e106fa5ef20c6f2a0025ac40b756c0a4bcccab356fd"
        hex"000000000000000000000000000000001436d3dc6b5e25b1f695f8c6c1c553dab312ccace4dac3afddc141d3506467cd50cb04a49ea96ea7f5a8a7b0fc65ef37000000000000000000000000000000000bfa32fc892a6e3ec3b54fdbadf30cb0206cd4fb666bceef88761764eb9fa05dc0f3e22a0d1d575ff8389aab079c7182"
        hex"000000000000000000000000000000000e0a9491651d52be8ebf4315fbbb410272f9a74b965d33b79ff1b9e1be3be59e43d9566773560e43280549c348e48f01000000000000000000000000000000000a4f2ccd8c86dd51fedbfeb60050f4de399b466135a5044e485bbf6eb160da175a21cbf63c39bbcac708883cae9ec936"
        hex"000000000000000000000000000000000809137e5d3a22400d6e645a9bd84e21c492371736c7e62c51cef50fee3aa7f2405724367a83fd051ff702d971167f67000000000000000000000000000000000449abf8cd8130b130a7aa81779cdaf3d1e051a9876fcdc96dd3c04bb54fc643b2bf83ad4e65687bb5ffd5994c44a7d9"
        hex"000000000000000000000000000000001536a24f31a346de7f9863fc351fa602158404d2f94747eebe43abf1f21bf8f95a64146c02a4bec27b503f546789a388000000000000000000000000000000000d6063ac1d9a46b55ae3cbc2b798043e95999ee9c9dd2930beaa96f9271d31cf95f0f044a649537abb2f263a94ec36bb"
        hex"0000000000000000000000000000000015cdf5a04fc12a0e0ef7545830061dff7fd8abea46e48fbe6235109e6c36ee6bffcb9529e2f3d0d701cf58bbfb6a4197000000000000000000000000000000001947afdfec552e274cfa24f5517c7fa7acd9239ebb079679d31510110174a656815846995cd4db73f33a1128826604b7"
        hex"000000000000000000000000000000000b15377525753467d042b7931f66f862cbbb77464212c9aa72d4e5c04375ef55f619b3a446091c1ba1a3b5d9f05e538f0000000000000000000000000000000011928b7e114d7fe8ac45a3e6ff2100607eadff35ebe398eeeaecb95728d0314368cc82c03e8fc87997e5e8ba99af5fa8"
        hex"00000000000000000000000000000000105a75b943ad017ff78ea6ddd1d28a45c7273ee1c2e5e3353685813793ead3370c09cabd903fcab9d8b1c6961372d48600000000000000000000000000000000067a65d22960e7d23782051caad7f9f756eafc592cf266da487597f606269d8980d7b44b9ce140082d34f263bc7e8f93"
        hex"000000000000000000000000000000000147df4324faddc02fb0896367a7647b719b6499a361aecfdd3a34296fa6768ad31c34f9e873fd1e683386c44651883e000000000000000000000000000000000561701c931f0c72ec5be59d1d147afc81c0bf6ae743bd07391e08236bcd6be3193bbbc42bb0560aef3d9af120fc7af0"
        hex"000000000000000000000000000000000c91d08570dd91f89d2e01dca67cdc83b640e20f073ea9f0734759c92182bb66c5d645f15ebd91ed705b66486ed2088d0000000000000000000000000000000011d8a07a407e1754a1d69773d2f836d600bf3615697cb9415d07cbd5b4a717a3bc9671c3d24ce66aca08b3c9d15b17bf"
        hex"000000000000000000000000000000000c6295ef2513bbea7ef4cdcf37d280300c34e63c4b9704663d55891a61bf5c91b04cc1d202a3a0a7c4520c30edc277c70000000000000000000000000000000010fc84947250462fd773f4be28f92ca6e8b2b4d037b8ef5f90679ba04ab459dc3986e7e080962fc066d8a89a6a8f5aa5"
        hex"000000000000000000000000000000001604be776a012095c0d4ebc77797dd8dec62a54c0559fb2185d7bac6b50d4e5fd471ac2d7f4523206d5d8178eabd9a8700000000000000000000000000000000149299317fdafae9132d5ccede7207a8b40b6299f4c44220840624f756f9447a723a485a88d77c8785bd13006977cfb7"
        hex"0000000000000000000000000000000000ead68def272ce3f57951145e71ed6dc26da98e5825ef439af577c0c5de766d4e39207f205d5d21db903d89f37bbb0200000000000000000000000000000000096f36b95e17b90988dfd90c23da07bebd3bdd3f916dd127eda4aba152faca0a82036978dc92e92ca5eda327d363985e"
        hex"000000000000000000000000000000001950b4a830388c897158c7fe3921e2fe24beedc7c84e2024e8b92b9775f8f99593b54a86b8870ec5087734295ba060320000000000000000000000000000000008eb6b03944cb83efe5dda159bc2acd8be7f88a87786731b58be1956f8c268921708930e25bfa12632b847c95b7ad32b"
        hex"00000000000000000000000000000000189ba714adabf94e658a7d14ac8fc197376a416841c2a80e1a6dde4f438d5f747d1fb90b39e8ea435c59d6ecda13dea10000000000000000000000000000000019d7f27f37e5d74ffbfeffa274344aa5462939848ae70dea4d02c7dc45844572b6a1d71428e83ff12f3f55a4bc27dac7"
        hex"0000000000000000000000000000000010c78e7cc60bd05be46d48fbb0421a678c7f14b8d93730deb66fbe1647613b2c62b5075126d917047820c57fc3509cb9000000000000000000000000000000000d5c166e8244cb0ae444039fd970b0d1d7e78a6085d7abd0ac435d81edbad1cbc95ddc8f2b11878784789f36e71796e3"
        hex"000000000000000000000000000000000860c4acc5444e9ae987e8c93cb9a5f17d954d63c060cc616f724e26bc73d2c54cd36e0492d1fde173847278e55942ba0000000000000000000000000000000019627f78251046eb7f7ac993d6c6a34064b57251a292233a036e6a283e717de9f4205874b44b56c7909210e4e3e00d13"
        hex"000000000000000000000000000000000fb8269c9d5c15428e8d45da1251e4c4a4b600d47da0caea29fef246854d8fb6acae86a8e6440d0c429d8dd9c2dfee0c00000000000000000000000000000000066e2902e6f55cd9ea9c7dc4ab550cd0bafa1316d776c657ccb774b0fd7839eb4c92067042a8e3330a3dea4044ad3214"
        hex"0000000000000000000000000000000016c5d8eb6fd5c525b348ee4335d200139e437e4be83690af0f35b7f336a7cda8c6d2958647988b84da9f2dd7bbb7710b0000000000000000000000000000000000004cc3902402ebb8908be5bcf7ca734846e3bc630ea3918743386bc03c5cbaa97e6974d5aeeb5e3dbff71394fe46e8"
        hex"0000000000000000000000000000000007f62141c4346cc14e9823dc38ac7d587b0427022afc1498d12ee2c43f6ac3a82167057e670dd524b74137f8c3ceb56d00000000000000000000000000000000199c569852d35bce1a45d1b90160b07b724617a4adcb548eee7b60f90ea7af9bb3a418e1faeee4cccf9cc5adc6f7bacb"
        hex"00000000000000000000000000000000156aac50d06b46a3e94397f163f593f5010d366aa2d816c2205c7d0f47f90cf0f36c169e964f9bcf698d49182d47d91f00000000000000000000000000000000029a86818c6514fee66a7acf18f2fff43687a75ca142c4e477f31e496a4483bf2a2e360c59926d5442768d8f15027c73"
        hex"000000000000000000000000000000001812899bcdc0e70d79ca729cb01104bf60e1357b9085a10f64f3ba9865d57e9abd0a505a502d4de07afb46f4d266be2f0000000000000000000000000000000018beb6b139eeeae94542adfe2d0379a9772997ee68f552d78febb86451a79aaa0f63d8066305ee0b8b0edb53aebc4410"
        hex"000000000000000000000000000000000bce02c7e1372e25d40944dc9ece2904a8f59c8854c5f2875fe63ace8ce37d97881f4f9ab4f7bad070ec8e0daee58d3f000000000000000000000000000000001184330798bca74d236a5776a7ab1b1844d98c6dc3e7958b5b1046eb27d0abcd262867ada554ca202ec6d8efe8a21427"
        hex"000000000000000000000000000000000fb13c515b2d6abb4e14ed753fad5cc36c3631dfe21a23d0f603aad719423dd5423157eefcbd9a9c6074e155b79eb38d000000000000000000000000000000000c5d7e9b92a2559c00038991bd504ec96f8cfae428e368619dbcff17abd6c7993ed4c034335a9185fec67777b7907563";
    /// @dev [1]_2, the G2 generator, in EIP-2537 form.
    bytes internal constant G2_GENERATOR =
        hex"00000000000000000000000000000000024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb80000000000000000000000000000000013e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e000000000000000000000000000000000ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801000000000000000000000000000000000606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be";
    /// @dev −[τ^64]_2 in EIP-2537 form.
    bytes internal constant G2_TAU64_NEG =
        hex"0000000000000000000000000000000012838a761053437883c3e01ba616670cea843754548ef84bcc397de2369adcca2ab54cd73c55dc68d87aec3fc2fe4f100000000000000000000000000000000012dcc5a1c8c3e1b28b1524e3dd6dbecd63017c9201da9dbe077f1b82adc08c50169f56fc7b5a3b28ec6b89254de3e2fd000000000000000000000000000000001852b1e9609850aaa7323c22a55526b9aa808e85bdd0a979618372c5fd5ff75a706d6380887969af95117a63e7240e3800000000000000000000000000000000149297e54f1dc473397220d14e582132d3d8a89027fa54686866d40527033939bef59f426643cd12846c9e28b2d40386";

    /// @notice The points of the KZG ceremony this verifier holds, in EIP-2537 form:
    ///         `[τ^0]₁ … [τ^63]₁` concatenated (8,192 bytes), `[1]₂` and `−[τ^64]₂` (256 bytes
    ///         each). Shared test vectors: testdata/blob-cells.json.
    function setup()
        external
        pure
        returns (bytes memory g1Monomial, bytes memory g2Generator, bytes memory g2Tau64Neg)
    {
        return (G1_MONOMIAL, G2_GENERATOR, G2_TAU64_NEG);
    }

    /// @notice The versioned hash of `commitment`, a 128-byte EIP-2537 G1 point:
    ///         `0x01 ‖ sha256(compressed)[1:]`, the point compressed in the ZCash format that
    ///         EIP-4844 hashes. It does not check that the point is on the curve (`payloadHash`
    ///         does, through the precompiles).
    function versionedHash(bytes calldata commitment) external view returns (bytes32) {
        if (commitment.length != 128) revert BadCommitmentLength(commitment.length);
        return _versionedHash(commitment);
    }

    /// @notice The keccak256 of payload bytes `from … to − 1` of the blob whose versioned hash is
    ///         `versionedHash_`, read from `cells`: exactly the cells holding those bytes, in
    ///         ascending order, each with its KZG proof against `commitment` (the blob's KZG
    ///         commitment as an EIP-2537 G1 point). Reverts unless the range is in the blob, the
    ///         commitment has the versioned hash, the cells are those and canonical, and every
    ///         proof holds.
    function payloadHash(
        bytes32 versionedHash_,
        bytes calldata commitment,
        uint256 from,
        uint256 to,
        Cell[] calldata cells
    ) external view returns (bytes32) {
        uint256 start = _read(versionedHash_, commitment, from, to, cells);
        bytes32 h;
        assembly ("memory-safe") {
            h := keccak256(start, sub(to, from))
        }
        return h;
    }

    /// @notice Payload bytes `from … to − 1` themselves, read and checked as `payloadHash` reads
    ///         and checks them (the same cells, the same refusals): `payloadHash` is their
    ///         keccak256. The inbox reads a blob batch's chunk roots, at the end of its blob's
    ///         payload, with it (`BatchInbox.proveBlobRootsFraud`).
    function payload(bytes32 versionedHash_, bytes calldata commitment, uint256 from, uint256 to, Cell[] calldata cells)
        external
        view
        returns (bytes memory)
    {
        uint256 start = _read(versionedHash_, commitment, from, to, cells);
        // `_read` leaves 32 bytes of its own allocation before `start`: the length goes there,
        // over bytes before `from` that are not returned.
        bytes memory bytes_;
        assembly ("memory-safe") {
            bytes_ := sub(start, 32)
            mstore(bytes_, sub(to, from))
        }
        return bytes_;
    }

    /// @dev The checks of `payloadHash`, then payload bytes `from … to − 1` copied out of `cells`
    ///      into memory: `start` is where the first of them is, with 32 bytes of the same
    ///      allocation before it (free for a length word).
    function _read(bytes32 versionedHash_, bytes calldata commitment, uint256 from, uint256 to, Cell[] calldata cells)
        private
        view
        returns (uint256 start)
    {
        if (from >= to || to > PAYLOAD_BYTES) revert BadRange(from, to);
        if (commitment.length != 128) revert BadCommitmentLength(commitment.length);
        bytes32 ofCommitment = _versionedHash(commitment);
        if (ofCommitment != versionedHash_) revert CommitmentMismatch(versionedHash_, ofCommitment);
        uint256 first = from / CELL_PAYLOAD_BYTES;
        uint256 last = (to - 1) / CELL_PAYLOAD_BYTES;
        if (cells.length != last - first + 1) revert CellsDoNotCover(first, last);
        for (uint256 i; i < cells.length; i++) {
            Cell calldata cell = cells[i];
            if (cell.index != first + i) revert CellsDoNotCover(first, last);
            if (cell.values.length != 32 * CELL_ELEMENTS || cell.proof.length != 128) revert BadCellLength(cell.index);
            uint256 position = _firstNonCanonical(cell.values);
            if (position < CELL_ELEMENTS) revert NotCanonical(cell.index, position);
        }
        if (!_proofsHold(commitment, cells, 0, cells.length)) {
            // The combined check fails when one of the cells' does: name it.
            for (uint256 i; cells.length > 1 && i < cells.length; i++) {
                if (!_proofsHold(commitment, cells, i, 1)) revert CellProofInvalid(cells[i].index);
            }
            revert CellProofInvalid(first);
        }
        return _copyPayload(cells, from, to);
    }

    /// @dev The position of the first value of `values` that is not below `R`, or 64.
    function _firstNonCanonical(bytes calldata values) private pure returns (uint256 position) {
        assembly ("memory-safe") {
            // Four values at a time; the position is searched for only when one is not below R.
            let canonical := 1
            for { let p := values.offset } lt(p, add(values.offset, 2048)) { p := add(p, 128) } {
                canonical := and(
                    and(canonical, and(lt(calldataload(p), R), lt(calldataload(add(p, 32)), R))),
                    and(lt(calldataload(add(p, 64)), R), lt(calldataload(add(p, 96)), R))
                )
            }
            position := 64
            if iszero(canonical) {
                for { let j := 0 } lt(j, 64) { j := add(j, 1) } {
                    if iszero(lt(calldataload(add(values.offset, shl(5, j))), R)) {
                        position := j
                        break
                    }
                }
            }
        }
    }

    /// @dev Whether the proofs of cells `start … start + n − 1` hold against `commitment` (their
    ///      lengths and values checked). With `ρ_k = ρ^k` (`ρ = 1` for one cell), it checks
    ///      `e(Σ ρ_k · (C − [I_k(τ)]₁ + h_k^64 · π_k), [1]₂) · e(Σ ρ_k · π_k, −[τ^64]₂) = 1`.
    function _proofsHold(bytes calldata commitment, Cell[] calldata cells, uint256 start, uint256 n)
        private
        view
        returns (bool)
    {
        uint256 rho = n == 1 ? 1 : _challenge(commitment, cells, start, n);
        uint256 msm = _layout(n);
        uint256 rhoK = 1;
        uint256 rhoSum;
        for (uint256 k; k < n; k++) {
            _addCell(msm, n, k, cells[start + k], rhoK);
            rhoSum = addmod(rhoSum, rhoK, R);
            rhoK = mulmod(rhoK, rho, R);
        }
        return _pairingHolds(msm, n, commitment, rhoSum);
    }

    /// @dev Allocates and lays out the memory of one check of `n` cells at `msm`: the main MSM's
    ///      65 + n entries (point ‖ scalar: `[τ^i]₁` for i < 64 with scalar 0, C, π_k); the
    ///      proofs' MSM (n entries: π_k, ρ_k); the pairing input (L, [1]₂, Σ ρ_k π_k, −[τ^64]₂);
    ///      and the inverse FFT's 64 words.
    function _layout(uint256 n) private pure returns (uint256 msm) {
        bytes memory g1 = G1_MONOMIAL;
        bytes memory g2 = G2_GENERATOR;
        bytes memory g2Tau64Neg = G2_TAU64_NEG;
        assembly ("memory-safe") {
            msm := mload(0x40)
            let pairing := add(msm, mul(160, add(65, shl(1, n))))
            mstore(0x40, add(pairing, add(768, 2048)))
            let points := add(g1, 32)
            for { let i := 0 } lt(i, 64) { i := add(i, 1) } {
                let entry := add(msm, mul(i, 160))
                mcopy(entry, add(points, shl(7, i)), 128)
                mstore(add(entry, 128), 0)
            }
            mcopy(add(pairing, 128), add(g2, 32), 256)
            mcopy(add(pairing, 512), add(g2Tau64Neg, 32), 256)
        }
    }

    /// @dev Adds cell `cell`, the `k`-th of `n`, with weight `rhoK` to the check laid out at
    ///      `msm`: its interpolant to the setup points' scalars, its proof to both MSMs.
    function _addCell(uint256 msm, uint256 n, uint256 k, Cell calldata cell, uint256 rhoK) private pure {
        uint256 index = cell.index;
        uint256 scratch = msm + 160 * (65 + 2 * n) + 768;
        _addInterpolant(msm, scratch, cell.values, index, rhoK);
        bytes calldata proof = cell.proof;
        uint256 hPow64 = _pow(W64, _rev6(index));
        assembly ("memory-safe") {
            let entry := add(msm, mul(160, add(65, k)))
            calldatacopy(entry, proof.offset, 128)
            mstore(add(entry, 128), mulmod(rhoK, hPow64, R))
            entry := add(msm, mul(160, add(add(65, n), k)))
            calldatacopy(entry, proof.offset, 128)
            mstore(add(entry, 128), rhoK)
        }
    }

    /// @dev Completes the check laid out at `msm` (C with scalar `rhoSum`), runs both MSMs into
    ///      the pairing input and the pairing check.
    function _pairingHolds(uint256 msm, uint256 n, bytes calldata commitment, uint256 rhoSum)
        private
        view
        returns (bool holds)
    {
        uint256 failed;
        assembly ("memory-safe") {
            let entry := add(msm, mul(160, 64))
            calldatacopy(entry, commitment.offset, 128)
            mstore(add(entry, 128), rhoSum)
            let proofs := add(msm, mul(160, add(65, n)))
            let pairing := add(proofs, mul(160, n))
            switch staticcall(gas(), G1MSM, msm, mul(160, add(65, n)), pairing, 128)
            case 0 { failed := G1MSM }
            default {
                switch eq(n, 1)
                case 1 { mcopy(add(pairing, 384), proofs, 128) }
                default {
                    if iszero(staticcall(gas(), G1MSM, proofs, mul(160, n), add(pairing, 384), 128)) {
                        failed := G1MSM
                    }
                }
            }
            if iszero(failed) {
                switch staticcall(gas(), PAIRING_CHECK, pairing, 768, 0x00, 0x20)
                case 0 { failed := PAIRING_CHECK }
                default { holds := eq(mload(0x00), 1) }
            }
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        if (failed != 0) revert PrecompileFailed(address(uint160(failed)));
    }

    /// @dev Adds `−ρ_k · c_i` to the scalar of `[τ^i]₁` in the MSM at `msm`, for the monomial
    ///      coefficients `c_i` of the interpolant of cell `index`'s values: `c_i = d_i · h⁻ⁱ`
    ///      with `d` the inverse FFT over the 64th roots of unity of the values at `h · ω₆₄^m`
    ///      (`m = rev₆(j)` for position `j`, so the values in their order are the FFT's input in
    ///      bit-reversed order, which the iterative radix-2 FFT takes as it is).
    function _addInterpolant(uint256 msm, uint256 scratch, bytes calldata values, uint256 index, uint256 rhoK)
        private
        pure
    {
        uint256 hInv = _pow(W4096_INV, _rev6(index));
        assembly ("memory-safe") {
            calldatacopy(scratch, values.offset, 2048)
        }
        _inverseFft(scratch);
        assembly ("memory-safe") {
            // −ρ_k · d_i · h⁻ⁱ, with the inverse FFT's 1/64.
            let f := mulmod(sub(R, rhoK), INV64, R)
            let d := scratch
            for { let slot := add(msm, 128) } lt(slot, add(msm, 10240)) { slot := add(slot, 160) } {
                mstore(slot, addmod(mload(slot), mulmod(mload(d), f, R), R))
                f := mulmod(f, hInv, R)
                d := add(d, 32)
            }
        }
    }

    /// @dev The inverse FFT (without its 1/64) of the 64 words at `scratch`, in place: in bit-reversed
    ///      order they are the input, in natural order the output. Radix-2 decimation in time, two
    ///      stages per pass (spans h and 2h, h = 1, 4, 16): the four words at j, j + h, j + 2h,
    ///      j + 3h of a block of 4h go through both stages' butterflies (x, y) → (x + w·y, x − w·y)
    ///      at once, with w₁ = ω_2h^−j in the first stage, w₂ = ω_4h^−j and w₃ = ω_4h^−(j + h) =
    ///      w₂ · ω₆₄^−16 in the second (ω_m the m-th root of unity ω₆₄^(64 / m)).
    function _inverseFft(uint256 scratch) private pure {
        assembly ("memory-safe") {
            for { let h := 1 } lt(h, 64) { h := shl(2, h) } {
                // ω_4h⁻¹ = ω₆₄^(−16 / h).
                let root := W64_INV
                for { let s := h } lt(s, 16) { s := shl(2, s) } {
                    root := mulmod(root, root, R)
                    root := mulmod(root, root, R)
                }
                let gap := shl(5, h)
                let w2 := 1
                for { let j := 0 } lt(j, h) { j := add(j, 1) } {
                    let w1 := mulmod(w2, w2, R)
                    let w3 := mulmod(w2, W64_INV_16, R)
                    for { let p := add(scratch, shl(5, j)) } lt(p, add(scratch, 2048)) { p := add(p, shl(2, gap)) } {
                        let a0 := mload(p)
                        let t := mulmod(mload(add(p, gap)), w1, R)
                        let a1 := addmod(a0, sub(R, t), R)
                        a0 := addmod(a0, t, R)
                        let a2 := mload(add(p, shl(1, gap)))
                        t := mulmod(mload(add(p, mul(3, gap))), w1, R)
                        let a3 := addmod(a2, sub(R, t), R)
                        a2 := mulmod(addmod(a2, t, R), w2, R)
                        mstore(p, addmod(a0, a2, R))
                        mstore(add(p, shl(1, gap)), addmod(a0, sub(R, a2), R))
                        a3 := mulmod(a3, w3, R)
                        mstore(add(p, gap), addmod(a1, a3, R))
                        mstore(add(p, mul(3, gap)), addmod(a1, sub(R, a3), R))
                    }
                    w2 := mulmod(w2, root, R)
                }
            }
        }
    }

    /// @dev The Fiat-Shamir challenge that combines several cells' checks: keccak256 over the
    ///      commitment and cells `start … start + n − 1` (index, values, proof), chained,
    ///      modulo `R`.
    function _challenge(bytes calldata commitment, Cell[] calldata cells, uint256 start, uint256 n)
        private
        pure
        returns (uint256)
    {
        bytes32 h = keccak256(commitment);
        for (uint256 k = start; k < start + n; k++) {
            Cell calldata cell = cells[k];
            uint256 index = cell.index;
            bytes calldata values = cell.values;
            bytes calldata proof = cell.proof;
            assembly ("memory-safe") {
                let ptr := mload(0x40)
                mstore(ptr, h)
                mstore(add(ptr, 32), index)
                calldatacopy(add(ptr, 64), values.offset, 2048)
                calldatacopy(add(ptr, 2112), proof.offset, 128)
                h := keccak256(ptr, 2240)
            }
        }
        return uint256(h) % R;
    }

    /// @dev Copies payload bytes `from … to − 1` of `cells` (the cells holding them) into fresh
    ///      memory; `start` is where the first of them is, with 32 bytes of the allocation before
    ///      it.
    function _copyPayload(Cell[] calldata cells, uint256 from, uint256 to) private pure returns (uint256 start) {
        uint256 e0 = from / ELEMENT_PAYLOAD_BYTES;
        uint256 e1 = (to - 1) / ELEMENT_PAYLOAD_BYTES;
        uint256 out;
        assembly ("memory-safe") {
            // A word for `payload`'s length, the elements' bytes, and the last store's overhang.
            out := add(mload(0x40), 32)
            mstore(0x40, add(out, add(mul(31, add(sub(e1, e0), 1)), 32)))
        }
        // Each element's 31 payload bytes, one after the other (a 32-byte store each, whose
        // last byte the next one overwrites).
        uint256 ptr = out;
        uint256 base = e0 - e0 % CELL_ELEMENTS;
        for (uint256 i; i < cells.length; i++) {
            bytes calldata values = cells[i].values;
            uint256 lo = e0 > base ? e0 : base;
            uint256 hi = e1 < base + 63 ? e1 : base + 63;
            assembly ("memory-safe") {
                for { let e := lo } iszero(gt(e, hi)) { e := add(e, 1) } {
                    mstore(ptr, shl(8, calldataload(add(values.offset, shl(5, sub(e, base))))))
                    ptr := add(ptr, 31)
                }
            }
            base += CELL_ELEMENTS;
        }
        start = out + from % ELEMENT_PAYLOAD_BYTES;
    }

    /// @dev The versioned hash of a 128-byte EIP-2537 G1 point (see `versionedHash`).
    function _versionedHash(bytes calldata commitment) private view returns (bytes32 h) {
        bool ok;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let xHi := calldataload(commitment.offset)
            let xLo := calldataload(add(commitment.offset, 32))
            let yHi := calldataload(add(commitment.offset, 64))
            let yLo := calldataload(add(commitment.offset, 96))
            switch or(or(xHi, xLo), or(yHi, yLo))
            case 0 {
                // The point at infinity: 0xc0 and 47 zero bytes.
                mstore(ptr, shl(248, 0xc0))
                mstore(add(ptr, 32), 0)
            }
            default {
                // x in 48 bytes, with the compression flag and the sign of y in its first byte.
                mstore(ptr, shl(128, xHi))
                mstore(add(ptr, 16), xLo)
                let larger := or(gt(yHi, HALF_P_HI), and(eq(yHi, HALF_P_HI), gt(yLo, HALF_P_LO)))
                mstore8(ptr, or(byte(16, xHi), or(0x80, shl(5, larger))))
            }
            ok := staticcall(gas(), SHA256, ptr, 48, 0x00, 0x20)
            h := or(shl(248, 1), shr(8, shl(8, mload(0x00))))
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        if (!ok) revert PrecompileFailed(address(uint160(SHA256)));
    }

    /// @dev The 6-bit reversal of `k` (< 64).
    function _rev6(uint256 k) private pure returns (uint256 r) {
        for (uint256 b; b < 6; b++) {
            r = (r << 1) | ((k >> b) & 1);
        }
    }

    /// @dev `base^e` modulo `R`.
    function _pow(uint256 base, uint256 e) private pure returns (uint256 acc) {
        acc = 1;
        while (e != 0) {
            if (e & 1 == 1) acc = mulmod(acc, base, R);
            base = mulmod(base, base, R);
            e >>= 1;
        }
    }
}
