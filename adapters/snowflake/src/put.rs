//! Moving a local file into an internal stage the way Snowflake's answer to
//! `PUT` asks: the answer names the storage (`stageInfo.locationType`) and
//! how to reach it, and the client uploads the bytes itself.
//!
//! * `GCS` with a `presignedUrl`: one HTTP PUT to that URL (Snowflake on GCP
//!   for a single file; fakesnow's server answers this way too).
//! * `S3`: a SigV4-signed PUT with the stage's temporary credentials.
//!
//! When the answer carries `encryptionMaterial`, the file is encrypted on the
//! client first, as Snowflake's drivers do: a random file key encrypts the
//! content with AES-CBC, the stage's master key wraps the file key with
//! AES-ECB, and key, IV and material description travel as object metadata.
//!
//! Files are gzip-compressed, then (if asked) encrypted, into temporary files
//! beside the source and streamed from disk: memory stays a few buffers per
//! upload whatever the file size. The stage decides nothing about retries:
//! an upload is a PUT of the same bytes to the same name, so it is retried
//! like any transient failure.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use aes::cipher::{BlockEncryptMut, KeyInit, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

/// Where and how to upload, from the `PUT` answer's `data`.
#[derive(Debug)]
pub struct StageTarget {
    pub location_type: String,
    /// `bucket/prefix/` for S3 and GCS.
    pub location: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub presigned_url: Option<String>,
    pub creds: Option<AwsCreds>,
    pub encryption: Option<Encryption>,
}

pub struct AwsCreds {
    pub key_id: String,
    pub secret: SecretString,
    pub token: Option<SecretString>,
}

impl std::fmt::Debug for AwsCreds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AwsCreds(<redacted>)")
    }
}

/// The stage's master key and what identifies it.
pub struct Encryption {
    pub master_key: SecretString,
    pub query_id: String,
    pub smk_id: String,
}

impl std::fmt::Debug for Encryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encryption")
            .field("query_id", &self.query_id)
            .field("smk_id", &self.smk_id)
            .finish_non_exhaustive()
    }
}

impl StageTarget {
    pub fn from_answer(data: &Json) -> Result<Self, String> {
        let info = data
            .get("stageInfo")
            .ok_or("the PUT answer has no stageInfo")?;
        let s = |k: &str| {
            info.get(k)
                .and_then(Json::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let creds = info.get("creds").and_then(|c| {
            let key_id = c.get("AWS_KEY_ID").and_then(Json::as_str)?;
            Some(AwsCreds {
                key_id: key_id.to_string(),
                secret: SecretString::from(
                    c.get("AWS_SECRET_KEY")
                        .and_then(Json::as_str)
                        .unwrap_or("")
                        .to_string(),
                ),
                token: c
                    .get("AWS_TOKEN")
                    .and_then(Json::as_str)
                    .map(|t| SecretString::from(t.to_string())),
            })
        });
        // A single material object, or a list with one per source file.
        let material = match data.get("encryptionMaterial") {
            Some(Json::Array(a)) => a.first().cloned(),
            Some(Json::Null) | None => None,
            Some(m) => Some(m.clone()),
        };
        let encryption = material.and_then(|m| {
            Some(Encryption {
                master_key: SecretString::from(m.get("queryStageMasterKey")?.as_str()?.to_string()),
                query_id: m
                    .get("queryId")
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .to_string(),
                smk_id: match m.get("smkId") {
                    Some(Json::Number(n)) => n.to_string(),
                    Some(Json::String(s)) => s.clone(),
                    _ => String::new(),
                },
            })
        });
        Ok(Self {
            location_type: s("locationType").unwrap_or_default().to_uppercase(),
            location: s("location").unwrap_or_default(),
            region: s("region"),
            endpoint: s("endPoint"),
            presigned_url: s("presignedUrl"),
            creds,
            encryption,
        })
    }
}

/// The bytes to send and their metadata headers.
#[derive(Debug)]
pub struct Prepared {
    pub path: PathBuf,
    pub len: u64,
    /// Base64 SHA-256 of the uncompressed file, Snowflake's `sfc-digest`.
    pub digest: String,
    pub encrypted: Option<EncryptedMeta>,
    temp: Vec<PathBuf>,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        for t in &self.temp {
            let _ = std::fs::remove_file(t);
        }
    }
}

#[derive(Debug, Clone)]
pub struct EncryptedMeta {
    /// Base64 of the file key wrapped by the master key.
    pub key: String,
    pub iv: String,
    pub matdesc: String,
    pub key_bits: usize,
}

/// Gzips `src` (and encrypts it when the stage asks) into temporary files
/// next to it. Blocking: run it on the blocking pool.
pub fn prepare(src: &Path, encryption: Option<&Encryption>) -> Result<Prepared, String> {
    let gz = with_suffix(src, ".gz.part");
    let mut temp = vec![gz.clone()];
    let mut hasher = Sha256::new();
    {
        let mut input = BufReader::new(
            std::fs::File::open(src).map_err(|e| format!("cannot read {}: {e}", src.display()))?,
        );
        let out = BufWriter::new(
            std::fs::File::create(&gz)
                .map_err(|e| format!("cannot write {}: {e}", gz.display()))?,
        );
        let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = input
                .read(&mut buf)
                .map_err(|e| format!("cannot read {}: {e}", src.display()))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            enc.write_all(&buf[..n])
                .map_err(|e| format!("cannot compress {}: {e}", src.display()))?;
        }
        enc.finish()
            .and_then(|mut w| w.flush())
            .map_err(|e| format!("cannot compress {}: {e}", src.display()))?;
    }
    let digest = STANDARD.encode(hasher.finalize());
    let (path, encrypted) = match encryption {
        None => (gz, None),
        Some(e) => {
            let enc = with_suffix(src, ".gz.enc");
            temp.push(enc.clone());
            let meta = encrypt_file(&gz, &enc, e)?;
            (enc, Some(meta))
        }
    };
    let len = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
    Ok(Prepared {
        path,
        len,
        digest,
        encrypted,
        temp,
    })
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

type Aes128CbcEnc = cbc::Encryptor<aes::Aes128>;
type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;

/// Snowflake's client-side encryption (the drivers' `SnowflakeEncryptionUtil`):
/// AES-CBC/PKCS#7 content under a random key of the master key's size, the key
/// itself PKCS#7-padded and AES-ECB-encrypted under the master key.
pub fn encrypt_file(src: &Path, dst: &Path, e: &Encryption) -> Result<EncryptedMeta, String> {
    let master = STANDARD
        .decode(e.master_key.expose_secret())
        .map_err(|_| "the stage's master key is not base64".to_string())?;
    let bits = master.len() * 8;
    let mut file_key = vec![0u8; master.len()];
    let mut iv = [0u8; 16];
    rand::rng().fill_bytes(&mut file_key);
    rand::rng().fill_bytes(&mut iv);

    let mut plain = Vec::new();
    // Encrypting in bounded pieces: CBC chains blocks, so feed whole blocks
    // and pad only the last one.
    let mut input = BufReader::new(std::fs::File::open(src).map_err(|e| e.to_string())?);
    let mut out = BufWriter::new(std::fs::File::create(dst).map_err(|e| e.to_string())?);
    enum Enc {
        A128(Box<Aes128CbcEnc>),
        A256(Box<Aes256CbcEnc>),
    }
    let mut cipher = match master.len() {
        16 => Enc::A128(Box::new(
            Aes128CbcEnc::new_from_slices(&file_key, &iv).map_err(|e| e.to_string())?,
        )),
        32 => Enc::A256(Box::new(
            Aes256CbcEnc::new_from_slices(&file_key, &iv).map_err(|e| e.to_string())?,
        )),
        n => return Err(format!("unsupported stage master key length {n} bytes")),
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = input.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        plain.extend_from_slice(&buf[..n]);
        // Keep at least one byte back so the final block is padded below.
        let whole = if plain.len() % 16 == 0 {
            plain.len().saturating_sub(16)
        } else {
            plain.len() - plain.len() % 16
        };
        if whole > 0 {
            let mut blocks: Vec<u8> = plain.drain(..whole).collect();
            for block in blocks.chunks_exact_mut(16) {
                let block = aes::Block::from_mut_slice(block);
                match &mut cipher {
                    Enc::A128(c) => c.encrypt_block_mut(block),
                    Enc::A256(c) => c.encrypt_block_mut(block),
                }
            }
            out.write_all(&blocks).map_err(|e| e.to_string())?;
        }
    }
    let last = match cipher {
        Enc::A128(c) => (*c).encrypt_padded_vec_mut::<Pkcs7>(&plain),
        Enc::A256(c) => (*c).encrypt_padded_vec_mut::<Pkcs7>(&plain),
    };
    out.write_all(&last).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;

    let wrapped = match master.len() {
        16 => ecb::Encryptor::<aes::Aes128>::new_from_slice(&master)
            .map_err(|e| e.to_string())?
            .encrypt_padded_vec_mut::<Pkcs7>(&file_key),
        _ => ecb::Encryptor::<aes::Aes256>::new_from_slice(&master)
            .map_err(|e| e.to_string())?
            .encrypt_padded_vec_mut::<Pkcs7>(&file_key),
    };
    let matdesc = json!({ "queryId": e.query_id, "smkId": e.smk_id, "keySize": bits.to_string() })
        .to_string();
    Ok(EncryptedMeta {
        key: STANDARD.encode(wrapped),
        iv: STANDARD.encode(iv),
        matdesc,
        key_bits: bits,
    })
}

/// The headers that describe an upload to its storage.
pub fn metadata_headers(target: &StageTarget, p: &Prepared) -> Vec<(String, String)> {
    let mut h = Vec::new();
    match target.location_type.as_str() {
        "S3" => {
            h.push(("x-amz-meta-sfc-digest".into(), p.digest.clone()));
            if let Some(m) = &p.encrypted {
                h.push(("x-amz-meta-x-amz-key".into(), m.key.clone()));
                h.push(("x-amz-meta-x-amz-iv".into(), m.iv.clone()));
                h.push(("x-amz-meta-x-amz-matdesc".into(), m.matdesc.clone()));
            }
        }
        _ => {
            h.push(("x-goog-meta-sfc-digest".into(), p.digest.clone()));
            if let Some(m) = &p.encrypted {
                let data = json!({
                    "EncryptionMode": "FullBlob",
                    "WrappedContentKey": { "KeyId": "symmKey1", "EncryptedKey": m.key, "Algorithm": "AES_CBC_256" },
                    "EncryptionAgent": { "Protocol": "1.0", "EncryptionAlgorithm": "AES_CBC_256" },
                    "ContentEncryptionIV": m.iv,
                    "KeyWrappingMetadata": { "EncryptionLibrary": "Java 5.3.0" },
                });
                h.push(("x-goog-meta-encryptiondata".into(), data.to_string()));
                h.push(("x-goog-meta-matdesc".into(), m.matdesc.clone()));
            }
        }
    }
    h
}

/// URL and extra headers of an S3 PUT of `file_name` into the stage, signed
/// with AWS Signature Version 4 (payload unsigned: TLS protects it, and the
/// body is streamed from disk).
/// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
pub fn s3_put_request(
    target: &StageTarget,
    file_name: &str,
    metadata: &[(String, String)],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(String, Vec<(String, String)>), String> {
    let creds = target
        .creds
        .as_ref()
        .ok_or("the S3 stage answer has no credentials")?;
    let region = target.region.clone().unwrap_or_else(|| "us-east-1".into());
    let (bucket, prefix) = target
        .location
        .split_once('/')
        .unwrap_or((&target.location, ""));
    let key = format!("{prefix}{file_name}");
    let encoded_key: String = key.split('/').map(uri_encode).collect::<Vec<_>>().join("/");
    // An endpoint with a scheme (a local S3) is addressed path-style; AWS
    // virtual-hosted style otherwise.
    let (scheme, host, path) = match target.endpoint.as_deref() {
        Some(e) if e.starts_with("http://") || e.starts_with("https://") => {
            let (scheme, rest) = e.split_once("://").expect("checked");
            (
                scheme.to_string(),
                rest.trim_end_matches('/').to_string(),
                format!("/{bucket}/{encoded_key}"),
            )
        }
        Some(e) => (
            "https".into(),
            format!("{bucket}.{}", e.trim_end_matches('/')),
            format!("/{encoded_key}"),
        ),
        None => (
            "https".into(),
            format!("{bucket}.s3.{region}.amazonaws.com"),
            format!("/{encoded_key}"),
        ),
    };
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let day = now.format("%Y%m%d").to_string();
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host.clone()),
        ("x-amz-content-sha256".into(), "UNSIGNED-PAYLOAD".into()),
        ("x-amz-date".into(), amz_date.clone()),
    ];
    if let Some(t) = &creds.token {
        headers.push(("x-amz-security-token".into(), t.expose_secret().to_string()));
    }
    for (k, v) in metadata {
        headers.push((k.to_lowercase(), v.trim().to_string()));
    }
    headers.sort();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let canonical = format!("PUT\n{path}\n\n{canonical_headers}\n{signed}\nUNSIGNED-PAYLOAD");
    let scope = format!("{day}/{region}/s3/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let hmac = |key: &[u8], data: &str| {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
        m.update(data.as_bytes());
        m.finalize().into_bytes().to_vec()
    };
    let k = hmac(
        format!("AWS4{}", creds.secret.expose_secret()).as_bytes(),
        &day,
    );
    let k = hmac(&k, &region);
    let k = hmac(&k, "s3");
    let k = hmac(&k, "aws4_request");
    let signature = hex::encode(hmac(&k, &to_sign));
    headers.push((
        "authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
            creds.key_id
        ),
    ));
    headers.retain(|(k, _)| k != "host");
    Ok((format!("{scheme}://{host}{path}"), headers))
}

fn uri_encode(segment: &str) -> String {
    let mut out = String::new();
    for b in segment.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
