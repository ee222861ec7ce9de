//! Many provisioning changes in one request (SCIM `/Bulk`, RFC 7644 §3.7), run in order as one
//! writer job in a transaction of its own: each change in its own savepoint, so one that fails is undone alone and the
//! next goes on, and the whole request costs one transaction and one commit instead of one per
//! change. Every change is the same writer job its single-change door runs
//! (`provisioning::*_in`): the same rules, audit entries and invites.
//!
//! The door drives the changes through a [`Script`]: it hands out the next change only when
//! the previous one is settled, so it can put an earlier change's new id where a later one
//! refers to it (SCIM's `bulkId`) and stop after too many errors (`failOnErrors`).

use crate::domain::audit::Actor;
use crate::domain::provisioning::{
    self as prov, Expected, GroupRecord, GroupState, UserRecord, UserState,
};
use crate::error::AppResult;
use crate::mail::{Mailer, Outbox};
use crate::store::{self, Db};

/// Computes a user's next state from the stored one (PUT and PATCH).
pub type NextUser = Box<dyn FnOnce(&UserRecord) -> AppResult<UserState> + Send>;
/// Computes a group's next state from the stored one (PUT and PATCH).
pub type NextGroup = Box<dyn FnOnce(&GroupRecord) -> AppResult<GroupState> + Send>;

/// One change, as the single-change doors make it.
pub enum Change {
    CreateUser(UserState),
    UpdateUser {
        id: String,
        expected: Option<Expected>,
        next: NextUser,
    },
    DeleteUser {
        id: String,
        expected: Option<Expected>,
    },
    CreateGroup(GroupState),
    UpdateGroup {
        id: String,
        expected: Option<Expected>,
        next: NextGroup,
    },
    DeleteGroup {
        id: String,
        expected: Option<Expected>,
    },
    /// Some members added or removed (see `provisioning::change_group_members`).
    GroupMembers {
        id: String,
        expected: Option<Expected>,
        delta: prov::MemberDelta,
    },
}

/// What a change left behind.
#[derive(Debug)]
pub enum Changed {
    User(UserRecord),
    Group(GroupRecord),
    Deleted,
}

/// The door's side of a bulk job; runs on the writer, so it must only compute.
pub trait Script: Send + 'static {
    /// The next change, or `None` to stop. `Some(Err(_))` is a change refused before it runs
    /// (it could not be read, it refers to a change that failed); it counts as done, failed.
    fn next(&mut self) -> Option<AppResult<Change>>;
    /// How the change `next` handed out ended.
    fn done(&mut self, outcome: AppResult<Changed>);
}

/// Runs `script`'s changes in order in one write, each in its own savepoint, and returns the
/// script once the write is committed. An error here is the job as a whole failing (the
/// database out of reach, the queue full): then nothing of it was kept.
pub async fn run<S: Script>(
    db: &Db,
    mailer: &Mailer,
    account_id: &str,
    actor: &Actor,
    script: S,
) -> AppResult<S> {
    let account_name = prov::account_name(db, account_id).await?;
    let who = Who {
        account_id: account_id.to_owned(),
        actor: actor.clone(),
        outbox: mailer.outbox(),
        account_name,
    };
    // Alone: its steps' savepoints must be the outermost (see `Writer::write_alone`).
    let script = db
        .write_alone(move |tx| {
            Box::pin(async move {
                let mut script = script;
                while let Some(change) = script.next() {
                    let outcome = match change {
                        Err(e) => Err(e),
                        Ok(change) => step(tx, &who, change).await?,
                    };
                    script.done(outcome);
                }
                Ok(script)
            })
        })
        .await?;
    mailer.wake();
    Ok(script)
}

/// Who makes the changes, for every change's writer job.
struct Who {
    account_id: String,
    actor: Actor,
    outbox: Outbox,
    account_name: String,
}

/// One change in its own savepoint. The outer error is the connection failing (the job ends);
/// the inner one is the change's own outcome.
async fn step(tx: &mut store::Conn, who: &Who, change: Change) -> AppResult<AppResult<Changed>> {
    store::writer::step_begin(tx).await?;
    let outcome = apply(tx, who, change).await;
    if outcome.is_ok() {
        store::writer::step_done(tx).await?;
    } else {
        store::writer::step_undone(tx).await?;
    }
    Ok(outcome)
}

async fn apply(tx: &mut store::Conn, who: &Who, change: Change) -> AppResult<Changed> {
    let Who {
        account_id,
        actor,
        outbox,
        account_name,
    } = who;
    Ok(match change {
        Change::CreateUser(s) => Changed::User(
            prov::create_user_in(tx, account_id, actor, outbox, account_name, s).await?,
        ),
        Change::UpdateUser { id, expected, next } => Changed::User(
            prov::update_user_in(tx, account_id, actor, outbox, &id, expected, next).await?,
        ),
        Change::DeleteUser { id, expected } => {
            prov::delete_user_in(tx, account_id, actor, &id, expected).await?;
            Changed::Deleted
        }
        Change::CreateGroup(s) => {
            Changed::Group(prov::create_group_in(tx, account_id, actor, s).await?)
        }
        Change::UpdateGroup { id, expected, next } => {
            Changed::Group(prov::update_group_in(tx, account_id, actor, &id, expected, next).await?)
        }
        Change::DeleteGroup { id, expected } => {
            prov::delete_group_in(tx, account_id, actor, &id, expected).await?;
            Changed::Deleted
        }
        Change::GroupMembers {
            id,
            expected,
            delta,
        } => Changed::Group(
            prov::change_group_members_in(tx, account_id, actor, &id, expected, delta)
                .await?
                .group,
        ),
    })
}
