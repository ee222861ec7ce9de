//! The members' text of large groups, kept between requests, and the response body that sends
//! it without a copy.
//!
//! A group of 100,000 members is ~17 MB of JSON, almost all of it the `members` array. Writing
//! that array is most of the CPU a `GET /Groups/{id}` costs, and an IdP reads the same big group
//! again and again between changes. The text is kept by the **identity** of the member list it
//! was written from (the `Arc` the member-id cache hands out for one group version, see
//! `store/member_cache.rs`) and by the shape of one member (the template: which fields the
//! projection keeps, the base URL). An `Arc`'s contents never change, so an entry is right for
//! as long as that `Arc` is the one a read returns; a change makes a new version, a new `Arc`,
//! and the old entry is never matched again. Nothing here is shared between processes or needs
//! to be: it is a cache of a pure function of its key. (A `Weak` keeps the allocation's address
//! from being reused while the entry lives, so pointer equality cannot mistake a new list for
//! an old one.)
//!
//! Bounded: at most [`MAX_ENTRIES`] texts and [`MAX_BYTES`] in all, least recently used out;
//! groups under [`MIN_MEMBERS`] are written each time (cheap, and not worth an entry).

use crate::domain::provisioning::MemberRef;
use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

/// Smaller groups are written afresh every time.
pub const MIN_MEMBERS: usize = 1_000;
const MAX_ENTRIES: usize = 8;
const MAX_BYTES: usize = 64 << 20;

struct Entry<S> {
    members: Weak<[MemberRef]>,
    shape: S,
    text: Bytes,
}

/// Member texts by (member list, shape); `S` is the template of one member.
pub struct MemberTexts<S> {
    entries: Mutex<VecDeque<Entry<S>>>,
}

impl<S: PartialEq> Default for MemberTexts<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: PartialEq> MemberTexts<S> {
    /// Empty (`const`: the kept texts are a `static`).
    pub const fn new() -> Self {
        MemberTexts {
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// The text of `members` in `shape`: kept, or written by `write` (and kept when the list is
    /// large). Two requests missing at once both write it; the second keeps the first's entry.
    pub fn text(
        &self,
        members: &Arc<[MemberRef]>,
        shape: S,
        write: impl FnOnce(&S, &mut Vec<u8>),
    ) -> Bytes {
        let key = Arc::downgrade(members);
        if members.len() >= MIN_MEMBERS {
            if let Some(text) = self.find(&key, &shape) {
                return text;
            }
        }
        let mut out = Vec::new();
        write(&shape, &mut out);
        let text = Bytes::from(out);
        if members.len() >= MIN_MEMBERS && text.len() <= MAX_BYTES {
            self.keep(key, shape, text.clone());
        }
        text
    }

    fn find(&self, key: &Weak<[MemberRef]>, shape: &S) -> Option<Bytes> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let at = entries
            .iter()
            .position(|e| Weak::ptr_eq(&e.members, key) && e.shape == *shape)?;
        // Most recently used at the back.
        let entry = entries.remove(at)?;
        let text = entry.text.clone();
        entries.push_back(entry);
        Some(text)
    }

    fn keep(&self, key: Weak<[MemberRef]>, shape: S, text: Bytes) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries
            .iter()
            .any(|e| Weak::ptr_eq(&e.members, &key) && e.shape == shape)
        {
            return;
        }
        // Lists nobody holds any more can never be asked for again.
        entries.retain(|e| e.members.strong_count() > 0);
        let mut bytes: usize = entries.iter().map(|e| e.text.len()).sum::<usize>() + text.len();
        while entries.len() >= MAX_ENTRIES || bytes > MAX_BYTES {
            let Some(old) = entries.pop_front() else {
                break;
            };
            bytes -= old.text.len();
        }
        entries.push_back(Entry {
            members: key,
            shape,
            text,
        });
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

/// A response body of a few shared chunks, sent one after another (no concatenation), with its
/// length known, so the response has a `Content-Length`.
pub struct Chunks {
    parts: VecDeque<Bytes>,
    remaining: u64,
}

impl Chunks {
    pub fn new(parts: Vec<Bytes>) -> Self {
        let remaining = parts.iter().map(|p| p.len() as u64).sum();
        Chunks {
            parts: parts.into_iter().filter(|p| !p.is_empty()).collect(),
            remaining,
        }
    }
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let next = self.parts.pop_front();
        if let Some(part) = &next {
            self.remaining -= part.len() as u64;
        }
        Poll::Ready(next.map(|part| Ok(Frame::data(part))))
    }

    fn is_end_stream(&self) -> bool {
        self.parts.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(n: usize, tag: &str) -> Arc<[MemberRef]> {
        (0..n)
            .map(|i| MemberRef {
                user_id: format!("{tag}-{i}"),
                email: String::new(),
            })
            .collect()
    }

    fn write_ids<S>(members: &Arc<[MemberRef]>) -> impl FnOnce(&S, &mut Vec<u8>) + '_ {
        move |_: &S, out: &mut Vec<u8>| {
            for m in members.iter() {
                out.extend_from_slice(m.user_id.as_bytes());
            }
        }
    }

    #[test]
    fn a_large_list_is_written_once_per_shape_and_a_new_list_is_written_anew() {
        let texts = MemberTexts::<&str>::new();
        let a = list(MIN_MEMBERS, "a");
        let first = texts.text(&a, "ids", write_ids(&a));
        // Kept: the same list and shape never call the writer again.
        let again = texts.text(&a, "ids", |_, _| panic!("written twice"));
        assert_eq!(first, again);
        // Another shape of the same list is its own text.
        let other = texts.text(&a, "other", |_, out| out.extend_from_slice(b"x"));
        assert_eq!(&other[..], b"x");
        // Equal contents in a new list (a new version) are written from that list.
        let b = list(MIN_MEMBERS, "a");
        let mut called = false;
        let _ = texts.text(&b, "ids", |shape, out| {
            called = true;
            write_ids(&b)(shape, out)
        });
        assert!(
            called,
            "a new list must not be served from an old one's entry"
        );
    }

    #[test]
    fn small_lists_are_not_kept_and_entries_are_bounded() {
        let texts = MemberTexts::<u32>::new();
        let small = list(MIN_MEMBERS - 1, "s");
        let _ = texts.text(&small, 0, write_ids(&small));
        assert_eq!(texts.len(), 0);
        let lists: Vec<_> = (0..MAX_ENTRIES + 3)
            .map(|i| list(MIN_MEMBERS, &i.to_string()))
            .collect();
        for l in &lists {
            let _ = texts.text(l, 0, write_ids(l));
        }
        assert_eq!(texts.len(), MAX_ENTRIES);
        // A list dropped by everyone leaves at the next insertion.
        drop(lists);
        let last = list(MIN_MEMBERS, "last");
        let _ = texts.text(&last, 0, write_ids(&last));
        assert_eq!(texts.len(), 1);
    }

    #[test]
    fn chunks_tell_their_exact_length() {
        let body = Chunks::new(vec![
            Bytes::from_static(b"{\"a\":["),
            Bytes::new(),
            Bytes::from_static(b"1,2]}"),
        ]);
        assert_eq!(body.size_hint().exact(), Some(11));
        assert!(!body.is_end_stream());
    }
}
