"""Link checks: dead links on any page (`links.dead`) and on the home page (`links.dead-home`)."""
