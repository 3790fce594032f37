// The page is built in the next commit.
