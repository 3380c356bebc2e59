//! The block-sync protocol `/vellum/sync/1`: one request, one response, each a `u32` length
//! then the canonical encoding, each refused past its byte limit before it is read.
//!
//! A node that is behind asks a peer for committed blocks with their certificates; a validator
//! that saw a proposal without its block asks for that block by hash. The network answers from a
//! [`BlockSource`] itself, so the rest of the node sees only the requests it makes.

use std::io;

use libp2p::StreamProtocol;
use libp2p::futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::request_response::Codec;
use vellum_protocol::block::Block;
use vellum_protocol::certificate::CommitCertificate;
use vellum_protocol::crypto::Hash;
use vellum_protocol::encoding::{Decode, Encode};

use super::wire::{
    MAX_SYNC_BLOCKS, MAX_SYNC_REQUEST_BYTES, MAX_SYNC_RESPONSE_BYTES, SYNC_RESPONSE_BUDGET,
    SyncRequest, SyncResponse, decode_bounded,
};

pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/vellum/sync/1");

/// Where the network finds the blocks it serves to peers.
pub trait BlockSource: Send + Sync {
    /// Committed blocks from `from_height` on, in order, at most `max` of them.
    fn blocks_from(&self, from_height: u64, max: u32) -> Vec<(Block, CommitCertificate)>;
    /// A block by hash, committed or only proposed.
    fn block(&self, hash: &Hash) -> Option<Block>;
}

/// Answers a request from `source`, within [`MAX_SYNC_BLOCKS`] and the response budget.
pub fn answer(source: &dyn BlockSource, request: SyncRequest) -> SyncResponse {
    match request {
        SyncRequest::Blocks { from_height, max } => {
            let mut blocks = source.blocks_from(from_height, max.min(MAX_SYNC_BLOCKS));
            blocks.truncate(max.min(MAX_SYNC_BLOCKS) as usize);
            let mut size = 0;
            let keep = blocks
                .iter()
                .take_while(|(block, cert)| {
                    let fits = size < SYNC_RESPONSE_BUDGET;
                    size += block.to_bytes().len() + cert.to_bytes().len();
                    fits
                })
                .count();
            blocks.truncate(keep);
            SyncResponse::Blocks(blocks)
        }
        SyncRequest::Block { hash } => SyncResponse::Block(source.block(&hash).map(Box::new)),
    }
}

/// Frames sync messages as a `u32` big-endian length, then the canonical encoding.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncCodec;

async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T, max: usize) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        let msg = format!("sync message of {len} bytes is over the limit of {max}");
        return Err(io::Error::new(io::ErrorKind::InvalidData, msg));
    }
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(io: &mut T, bytes: &[u8]) -> io::Result<()> {
    let len = u32::try_from(bytes.len()).map_err(|_| io::ErrorKind::InvalidInput)?;
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(bytes).await?;
    io.close().await
}

fn decode<T: Decode>(what: &'static str, bytes: &[u8], max: usize) -> io::Result<T> {
    decode_bounded(what, bytes, max).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

impl Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = SyncRequest;
    type Response = SyncResponse;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<SyncRequest>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_frame(io, MAX_SYNC_REQUEST_BYTES).await?;
        decode("sync request", &bytes, MAX_SYNC_REQUEST_BYTES)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<SyncResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_frame(io, MAX_SYNC_RESPONSE_BYTES).await?;
        decode("sync response", &bytes, MAX_SYNC_RESPONSE_BYTES)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: SyncRequest,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &request.to_bytes()).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: SyncResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &response.to_bytes()).await
    }
}
