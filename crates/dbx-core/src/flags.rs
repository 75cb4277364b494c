//! Named yes/no options for API arguments, instead of bare `bool`s: `dbfs.delete(path,
//! Recursive::Yes)` reads better than `dbfs.delete(path, true)`. Each converts from `bool`, so
//! older call sites keep compiling.

macro_rules! flag {
    ($(#[$m:meta])* $name:ident, $yes:literal, $no:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            #[doc = $yes]
            Yes,
            #[doc = $no]
            #[default]
            No,
        }

        impl $name {
            /// The value sent on the wire.
            pub fn as_bool(self) -> bool {
                self == Self::Yes
            }
        }

        impl From<bool> for $name {
            fn from(b: bool) -> Self {
                if b {
                    Self::Yes
                } else {
                    Self::No
                }
            }
        }

        impl From<$name> for bool {
            fn from(f: $name) -> bool {
                f.as_bool()
            }
        }
    };
}

flag!(
    /// Whether an existing object at the target may be replaced (`overwrite` in the API).
    ///
    /// ```
    /// use dbx_core::Overwrite;
    /// assert!(Overwrite::Yes.as_bool());
    /// assert_eq!(Overwrite::from(false), Overwrite::No);
    /// ```
    Overwrite,
    "Replace what is there.",
    "Fail when something is there (the default)."
);

flag!(
    /// Whether an operation on a folder applies to everything under it (`recursive` in the API).
    ///
    /// ```
    /// use dbx_core::Recursive;
    /// assert!(!Recursive::No.as_bool());
    /// assert_eq!(Recursive::from(true), Recursive::Yes);
    /// ```
    Recursive,
    "Include everything under the folder.",
    "Only the object itself; a non-empty folder is refused (the default)."
);
